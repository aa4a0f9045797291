"""Writing files whole: a rename into place, without the surprises of a rename (modes, devices, links)."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from svgai.files import write_atomically


@pytest.fixture
def umask_027() -> Iterator[None]:
    previous = os.umask(0o027)
    try:
        yield
    finally:
        os.umask(previous)


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_a_new_file_is_written_whole_with_the_umask_applied(tmp_path: Path, umask_027: None) -> None:
    target = tmp_path / "logo.svg"
    write_atomically(target, "<svg/>")
    assert target.read_text() == "<svg/>" and mode(target) == 0o640
    assert sorted(p.name for p in tmp_path.iterdir()) == ["logo.svg"]


def test_an_existing_file_keeps_its_mode_and_gets_the_new_content(tmp_path: Path) -> None:
    target = tmp_path / "config.json"
    target.write_bytes(b"old")
    target.chmod(0o604)
    write_atomically(target, b"\x00new")
    assert target.read_bytes() == b"\x00new" and mode(target) == 0o604


def test_a_device_is_written_to_not_replaced() -> None:
    write_atomically("/dev/null", "<svg/>")
    assert stat.S_ISCHR(os.stat("/dev/null").st_mode)


def test_a_fifo_is_written_to_not_replaced(tmp_path: Path) -> None:
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    reader = os.open(fifo, os.O_RDONLY | os.O_NONBLOCK)
    try:
        write_atomically(fifo, "through the pipe")
        assert os.read(reader, 100) == b"through the pipe"
    finally:
        os.close(reader)
    assert stat.S_ISFIFO(fifo.lstat().st_mode)


def test_a_symbolic_link_keeps_pointing_at_the_file_it_names(tmp_path: Path) -> None:
    real = tmp_path / "real.svg"
    real.write_text("old")
    link = tmp_path / "link.svg"
    link.symlink_to(real)
    write_atomically(link, "new")
    assert link.is_symlink() and real.read_text() == "new"


def test_a_failed_write_leaves_the_old_file_and_no_temporary(tmp_path: Path) -> None:
    target = tmp_path / "logo.svg"
    target.write_text("old")
    with pytest.raises(TypeError):
        write_atomically(target, 42)  # type: ignore[arg-type]
    missing = tmp_path / "no" / "such" / "folder" / "x.svg"
    with pytest.raises(FileNotFoundError):
        write_atomically(missing, "x")
    assert target.read_text() == "old" and sorted(p.name for p in tmp_path.iterdir()) == ["logo.svg"]
