"""The one way svgai writes a file: whole or not at all.

``write_atomically`` writes to a temporary file in the target's folder and renames it over the
target, so a reader (or a killed process) never sees half a file. What a careful command-line tool
must also respect is kept: a target that is not a regular file (``/dev/null``, a FIFO, a terminal)
is written directly, never replaced; a new file gets the permissions the umask allows, like
``open(path, "w")``; an existing file keeps its mode; a symbolic link keeps pointing where it did
(the file it points to is replaced).

``check_output_path`` refuses a destination before a conversion spends time on it: an empty path,
a folder (or a path ending in ``/``, which asks for one), a missing or unwritable parent folder, or
the input image itself (by path or by inode).
"""

from __future__ import annotations

import os
import secrets
import stat
from pathlib import Path

from svgai.errors import InvalidOutput

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


def save(path: str | os.PathLike[str], data: str | bytes) -> None:
    """``write_atomically`` for a user's output: a failure is an ``InvalidOutput`` naming the path."""
    try:
        write_atomically(path, data)
    except OSError as e:
        raise InvalidOutput(f"{os.fspath(path)}: cannot be written ({e.strerror or e})") from None


def _create_beside(target: Path) -> tuple[Path, int]:
    """A new hidden file next to ``target``, opened for writing, created with the umask applied."""
    while True:
        temporary = target.with_name(f".{target.name}.{secrets.token_hex(6)}.tmp")
        try:
            return temporary, os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, NEW_FILE_MODE)
        except FileExistsError:
            continue


def check_output_path(output: str | os.PathLike[str], *, source: str | os.PathLike[str] | None = None) -> Path:
    """Return ``output`` as a ``Path`` if a file can be written there; else raise ``InvalidOutput``.

    ``source`` is the input the output is made from: the same file is refused. The folder is probed
    by creating and removing a temporary file, the only check that also holds for root and for
    pseudo file systems such as ``/proc``.
    """
    text = os.fspath(output)
    if not text:
        raise InvalidOutput("the output path is empty; accepted: a file path such as logo.svg")
    path = Path(text)
    if text.endswith(("/", os.sep)) or path.is_dir():
        what = "is a directory" if path.is_dir() else "ends with a slash, so it names a directory"
        raise InvalidOutput(f"{text}: {what}; accepted: a file path such as {path / 'logo.svg'}")
    if source is not None and same_file(path, Path(source)):
        raise InvalidOutput(f"{text}: is the input image itself; refusing to overwrite it (give another -o)")
    folder = path.parent
    if not folder.is_dir():
        what = "is not a folder" if folder.exists() else "does not exist"
        raise InvalidOutput(f"{text}: cannot be written: the folder {folder} {what}")
    try:
        mode: int | None = os.stat(path).st_mode
    except OSError:
        mode = None
    if mode is not None and not os.access(path, os.W_OK):
        raise InvalidOutput(f"{text}: cannot be written (permission denied)")
    if mode is not None and not stat.S_ISREG(mode):
        return path  # written in place (see write_atomically)
    try:
        probe, fd = _create_beside(path.resolve())
    except OSError as e:
        raise InvalidOutput(f"{text}: cannot be written in {folder} ({e.strerror or e})") from None
    os.close(fd)
    probe.unlink()
    return path


def check_output_folder(output: str | os.PathLike[str]) -> Path:
    """Return ``output`` as a ``Path`` if it is, or can become, a folder files can be written in.

    For several images, whose SVGs go into one folder. Nothing is created: the nearest existing
    folder on the way is probed. Raises ``InvalidOutput`` saying why not.
    """
    path = Path(output)
    existing = path
    while not existing.exists():
        existing = existing.parent
    if not existing.is_dir():
        what = "is not a folder" if existing == path else f"cannot be made: {existing} is not a folder"
        raise InvalidOutput(f"{os.fspath(output)}: {what}; with several images, -o names a folder")
    try:
        probe, fd = _create_beside(existing.resolve() / "probe")
    except OSError as e:
        raise InvalidOutput(f"{os.fspath(output)}: cannot be written in {existing} ({e.strerror or e})") from None
    os.close(fd)
    probe.unlink()
    return path


def same_file(output: Path, source: Path) -> bool:
    """Whether ``output`` is ``source`` (the same inode, or the same path when either is missing)."""
    try:
        return os.path.samefile(output, source)
    except OSError:  # one of them does not exist (yet)
        return output.resolve() == source.resolve()
