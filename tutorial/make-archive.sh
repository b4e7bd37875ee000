#!/usr/bin/env bash
# Build the tutorial archive: bash tutorial/make-archive.sh OUTPUT.tar.bz2
#
# The archive's top folder is diagnose-missing-events/: the docker compose project of
# tutorial/diagnose-missing-events/ plus, in ska-tango-event-monitor/, the package source the
# image installs (pyproject.toml, README.md or a stub, src/). Works from a fresh clone: only
# files present in the tree are used, without caches. Needs bash, tar and bzip2 (or python3).
set -euo pipefail

if [[ $# -ne 1 || -z $1 ]]; then
    echo "usage: $0 OUTPUT.tar.bz2" >&2
    exit 2
fi

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/.." && pwd)
project="$here/diagnose-missing-events"
output_dir=$(cd "$(dirname "$1")" && pwd)
output="$output_dir/$(basename "$1")"

for required in "$project/compose.yaml" "$project/Dockerfile" "$repo/pyproject.toml" "$repo/src"; do
    if [[ ! -e $required ]]; then
        echo "$0: missing $required" >&2
        exit 1
    fi
done

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
top="$tmp/diagnose-missing-events"
source_copy="$top/ska-tango-event-monitor"
excludes=(--exclude=__pycache__ --exclude='*.py[co]' --exclude='*.egg-info' --exclude=.pytest_cache
    --exclude=.ruff_cache)

# copy a folder's content without caches (tar pipes: cp cannot exclude)
copy_tree() {
    mkdir -p "$2"
    tar -C "$1" "${excludes[@]}" -cf - . | tar -C "$2" -xf -
}

copy_tree "$project" "$top"
copy_tree "$repo/src" "$source_copy/src"
cp "$repo/pyproject.toml" "$source_copy/"
if [[ -f $repo/README.md ]]; then
    cp "$repo/README.md" "$source_copy/"
else
    # pyproject.toml names README.md as the package readme: setuptools needs the file
    printf '%s\n' "# ska-tango-event-monitor" "" \
        "Source copy installed by the diagnose-missing-events tutorial image." \
        >"$source_copy/README.md"
fi
for extra in LICENSE LICENSE.txt; do
    if [[ -f $repo/$extra ]]; then
        cp "$repo/$extra" "$source_copy/"
    fi
done
chmod -R u+rwX,go+rX,go-w "$top"

tar_options=()
if tar --version 2>/dev/null | grep -q 'GNU tar'; then
    # reproducible member order and ownership
    tar_options=(--sort=name --owner=0 --group=0 --numeric-owner)
fi
tar -C "$tmp" "${tar_options[@]}" -cf "$tmp/archive.tar" diagnose-missing-events

if command -v bzip2 >/dev/null 2>&1; then
    bzip2 -9 -c "$tmp/archive.tar" >"$tmp/archive.tar.bz2"
else
    python3 - "$tmp/archive.tar" "$tmp/archive.tar.bz2" <<'PYTHON'
import bz2
import shutil
import sys

with open(sys.argv[1], "rb") as source, bz2.open(sys.argv[2], "wb", compresslevel=9) as target:
    shutil.copyfileobj(source, target)
PYTHON
fi
mv -f "$tmp/archive.tar.bz2" "$output"
echo "wrote $output"
