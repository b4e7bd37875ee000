"""The files a run writes (recording, report, metrics textfile): checked before the first
poll, replaced atomically, and every failure said the same way:
`cannot write the <what> <path>: <reason>`, the reason as the system gives it."""

from __future__ import annotations

import errno
import os
import tempfile
from pathlib import Path


class OutputFileError(OSError):
    """An output file that cannot be written; the message is one line."""


def cannot_write(what: str, path: Path, error: OSError) -> str:
    return f"cannot write the {what} {path}: {error.strerror or error}"


def check_writable(
    path: Path, what: str, error_type: type[Exception] = OutputFileError, replaced: bool = True
) -> None:
    """Fail at start, not after an hour of monitoring. `path` must not be a folder; a file
    that is `replaced` (renamed over, as the report) needs a folder in which a file can be
    created (tried for real: permissions, ACLs, read-only mounts); one written in place (the
    recording, e.g. /dev/null) needs only itself writable if it exists."""
    try:
        if path.is_dir():
            raise IsADirectoryError(errno.EISDIR, os.strerror(errno.EISDIR), str(path))
        if not replaced and path.exists():
            if not os.access(path, os.W_OK):
                raise PermissionError(errno.EACCES, os.strerror(errno.EACCES), str(path))
            return
        fd, probe = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".check")
        os.close(fd)
        os.unlink(probe)
    except OSError as error:
        raise error_type(cannot_write(what, path, error)) from None


def replace_atomically(path: Path, data: bytes) -> None:
    """Write a hidden temporary file beside `path`, then rename it over `path`: a reader sees
    the old file or the new one, never half of one, and a failure leaves no temporary file."""
    fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as file:
            file.write(data)
        os.chmod(temporary, 0o666 & ~_umask())  # mkstemp makes it private
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask
