"""Writing output files: checked before any work, written whole, never over the wrong thing.

``check_output_path`` refuses a destination before a conversion spends time on it: an empty path, a
folder (or a path ending in ``/``, which asks for one), a missing or unwritable parent folder, or the
input image itself. ``write_atomically`` then writes a regular file through a temporary file in
the same folder and a rename, so a reader never sees half a file; a target that is not a regular
file (``/dev/null``, a FIFO, a terminal) is written directly, as a shell redirection would, because
renaming over it would replace the device or pipe with a plain file. A new file gets the mode the
umask allows (``0o666 & ~umask``, like ``open()``); an existing file keeps its mode.
"""

from __future__ import annotations

import os
import stat
import tempfile
from pathlib import Path

from svgai.errors import InvalidOutput


def check_output_path(output: str | os.PathLike[str], *, source: str | os.PathLike[str] | None = None) -> Path:
    """Return ``output`` as a ``Path`` if a file can be written there; else raise ``InvalidOutput``.

    ``source`` is the input the output is made from: the same file (by path or by inode) is refused.
    The parent folder is probed by creating and removing a temporary file, which is the only check
    that also holds for root and for pseudo file systems such as ``/proc``.
    """
    text = os.fspath(output)
    if not text:
        raise InvalidOutput("the output path is empty; accepted: a file path such as logo.svg")
    path = Path(text)
    if text.endswith(("/", os.sep)) or path.is_dir():
        what = "is a directory" if path.is_dir() else "ends with a slash, so it names a directory"
        raise InvalidOutput(f"{text}: {what}; accepted: a file path such as {path / 'logo.svg'}")
    if source is not None and _same_file(path, Path(source)):
        raise InvalidOutput(f"{text}: is the input image itself; refusing to overwrite it (give another -o)")
    folder = path.parent
    if not folder.is_dir():
        what = "is not a folder" if folder.exists() else "does not exist"
        raise InvalidOutput(f"{text}: cannot be written: the folder {folder} {what}")
    existing = _stat(path)
    if existing is not None and not stat.S_ISREG(existing.st_mode):
        if not os.access(path, os.W_OK):
            raise InvalidOutput(f"{text}: cannot be written (permission denied)")
        return path
    if existing is not None and not os.access(path, os.W_OK):
        raise InvalidOutput(f"{text}: cannot be written (the file is read-only)")
    try:
        fd, probe = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.resolve().parent)
    except OSError as e:
        raise InvalidOutput(f"{text}: cannot be written in {folder} ({e.strerror or e})") from None
    os.close(fd)
    os.unlink(probe)
    return path


def write_atomically(path: Path, data: str | bytes) -> None:
    """Write ``data`` (text as UTF-8) to ``path`` so that it is either the old or the whole new content.

    Raises ``InvalidOutput`` when the file cannot be written; no temporary file is left behind.
    """
    payload = data.encode("utf-8") if isinstance(data, str) else data
    existing = _stat(path)
    if existing is not None and not stat.S_ISREG(existing.st_mode):
        _write_in_place(path, payload)
        return
    target = Path(path).resolve()
    mode = stat.S_IMODE(existing.st_mode) if existing is not None else 0o666 & ~current_umask()
    try:
        fd, temporary = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    except OSError as e:
        raise InvalidOutput(f"{path}: cannot be written in {target.parent} ({e.strerror or e})") from None
    try:
        with os.fdopen(fd, "wb") as f:
            os.fchmod(f.fileno(), mode)  # mkstemp creates 0600
            f.write(payload)
        os.replace(temporary, target)
    except BaseException as e:
        Path(temporary).unlink(missing_ok=True)
        if isinstance(e, OSError):
            raise InvalidOutput(f"{path}: cannot be written ({e.strerror or e})") from None
        raise


def current_umask() -> int:
    """This process's umask, read without changing it where the system allows (Linux)."""
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError, IndexError):
        pass
    mask = os.umask(0o022)  # elsewhere the only way to read it is to set it, briefly
    os.umask(mask)
    return mask


def _write_in_place(path: Path, payload: bytes) -> None:
    try:
        with open(path, "wb") as f:
            f.write(payload)
    except OSError as e:
        raise InvalidOutput(f"{path}: cannot be written ({e.strerror or e})") from None


def _stat(path: Path) -> os.stat_result | None:
    try:
        return os.stat(path)
    except FileNotFoundError:
        return None
    except OSError as e:
        raise InvalidOutput(f"{path}: cannot be inspected ({e.strerror or e})") from None


def _same_file(output: Path, source: Path) -> bool:
    try:
        return os.path.samefile(output, source)
    except OSError:  # one of them does not exist (yet)
        return output.resolve() == source.resolve()
