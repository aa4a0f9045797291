"""The one way svgai writes a file: whole or not at all.

``write_atomically`` writes to a temporary file in the target's folder and renames it over the
target, so a reader (or a killed process) never sees half a file. What a careful command-line tool
must also respect is kept: a target that is not a regular file (``/dev/null``, a FIFO, a terminal)
is written directly, never replaced; a new file gets the permissions the umask allows, like
``open(path, "w")``; an existing file keeps its mode; a symbolic link keeps pointing where it did
(the file it points to is replaced).
"""

from __future__ import annotations

import os
import secrets
import stat
from pathlib import Path

NEW_FILE_MODE = 0o666
"""Mode asked for a new file; the umask takes its bits away, as for any file a program creates."""


def write_atomically(path: str | os.PathLike[str], data: str | bytes) -> None:
    """Write ``data`` (text is UTF-8) to ``path`` through a temporary file and a rename.

    Raises ``OSError`` when the folder cannot be written; the temporary file is then removed.
    """
    payload = data.encode("utf-8") if isinstance(data, str) else data
    target = Path(path).resolve()
    try:
        mode: int | None = os.stat(target).st_mode
    except FileNotFoundError:
        mode = None
    if mode is not None and not stat.S_ISREG(mode):
        with open(target, "wb") as device:
            device.write(payload)
        return
    temporary, fd = _create_beside(target)
    try:
        with os.fdopen(fd, "wb") as file:
            file.write(payload)
        if mode is not None:
            os.chmod(temporary, stat.S_IMODE(mode))
        os.replace(temporary, target)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise


def _create_beside(target: Path) -> tuple[Path, int]:
    """A new hidden file next to ``target``, opened for writing, created with the umask applied."""
    while True:
        temporary = target.with_name(f".{target.name}.{secrets.token_hex(6)}.tmp")
        try:
            return temporary, os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, NEW_FILE_MODE)
        except FileExistsError:
            continue
