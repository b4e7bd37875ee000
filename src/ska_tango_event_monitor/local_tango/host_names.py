"""A process that sees its own host names: a mount namespace with its own `/etc/hosts`.

How a container's name resolves only inside it, made on one machine (Linux, as root): the
command runs under `unshare --mount` with a hosts file and an `nsswitch.conf` bind-mounted
over the system's. Host names are looked up in that file only, never with DNS, so nothing
leaves the machine. The network (loopback) stays shared; the PID is the command's own
(`unshare` and `sh` exec it).
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Mapping, Sequence
from pathlib import Path

_MOUNT_AND_RUN = (
    'mount --bind "$0" /etc/hosts && mount --bind "$1" /etc/nsswitch.conf && shift && exec "$@"'
)


def can_rename_hosts() -> bool:
    """Whether this machine can run a command with its own host names (root, unshare)."""
    return os.geteuid() == 0 and shutil.which("unshare") is not None


def with_host_names(
    command: Sequence[str], names: Mapping[str, str], workdir: Path, label: str
) -> list[str]:
    """`command` run where each name of `names` resolves to its address (a loopback one),
    localhost as usual, and every other name not at all (files only, no DNS)."""
    hosts = workdir / f"{label}.hosts"
    lines = ["127.0.0.1 localhost", "::1 localhost ip6-localhost"]
    hosts.write_text("\n".join([*lines, *(f"{a} {n}" for n, a in names.items())]) + "\n")
    nsswitch = workdir / f"{label}.nsswitch.conf"
    nsswitch.write_text("hosts: files\nnetworks: files\n")
    prefix = ["unshare", "--mount", "--propagation", "private", "--", "sh", "-c"]
    return [*prefix, _MOUNT_AND_RUN, str(hosts), str(nsswitch), *command]
