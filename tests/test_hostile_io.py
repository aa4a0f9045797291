"""Hostile paths, numbers and outcomes at the command line: refused before any work, written safely.

Each test names the probe's case it covers (issue 11's reliability list). Conversions use explicit
parameters where the router is not the subject, so each runs in well under a second.
"""

from __future__ import annotations

import hashlib
import json
import os
import stat
import subprocess
import sys
import threading
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner, Result
from PIL import Image

from svgai.cli import cli
from svgai.errors import InvalidParams
from svgai.hookspecs import Constraints
from svgai.images import load_image
from svgai.vectorize import vectorize

EXPLICIT = ["--param", "color_precision=6"]  # skips the router: these tests are about files and numbers
ROOT = Path(__file__).resolve().parents[1]
PYTHONPATH = os.pathsep.join(
    str(ROOT / p) for p in ("backend", "plugins/svgai-quality", "plugins/svgai-example")
)


@pytest.fixture
def logo(tmp_path: Path, two_colour_path: Path) -> Path:
    copy = tmp_path / "logo.png"
    copy.write_bytes(two_colour_path.read_bytes())
    return copy


def run(*args: str) -> Result:
    return CliRunner().invoke(cli, ["convert", *args])


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def assert_one_line_error(result: Result, says: str) -> None:
    assert result.exit_code == 2, result.output
    assert result.stderr.startswith("error: ") and result.stderr.count("\n") == 1, result.stderr
    assert says in result.stderr


# case 1: the output is the input


def test_output_equal_to_the_input_is_refused_and_the_image_kept(logo: Path) -> None:
    before = digest(logo)
    os.link(logo, logo.with_name("hard.png"))
    os.symlink(logo, logo.with_name("soft.svg"))
    for output in (str(logo), str(logo.with_name("hard.png")), str(logo.with_name("soft.svg")),
                   str(logo.parent / "." / logo.name)):
        assert_one_line_error(run(str(logo), "-o", output, *EXPLICIT), "is the input image itself")
    assert digest(logo) == before


def test_an_svg_named_input_holding_png_data_is_not_overwritten(logo: Path) -> None:
    disguised = logo.rename(logo.with_name("logo.svg"))
    before = digest(disguised)
    assert_one_line_error(run(str(disguised), *EXPLICIT), "is the input image itself")
    assert digest(disguised) == before


# case 13: output paths that cannot be written are refused before the input is even read


@pytest.mark.parametrize(
    ("output", "says"),
    [
        ("", "the output path is empty"),
        ("{tmp}", "is a directory"),
        ("{tmp}/newdir/", "names a directory"),
        ("{tmp}/missing/out.svg", "does not exist"),
        ("{tmp}/file.txt/out.svg", "is not a folder"),
        ("/proc/x.svg", "cannot be written"),
    ],
    ids=["empty", "a directory", "trailing slash", "missing parent", "parent is a file", "/proc"],
)
def test_an_unwritable_output_is_refused_before_converting(tmp_path: Path, output: str, says: str) -> None:
    (tmp_path / "file.txt").write_text("not a folder")
    corrupt = tmp_path / "corrupt.png"
    corrupt.write_bytes(b"\x89PNG\r\n\x1a\n")  # reading it would fail with another message
    before = sorted(p.name for p in tmp_path.iterdir())
    assert_one_line_error(run(str(corrupt), "-o", output.format(tmp=tmp_path), *EXPLICIT), says)
    assert sorted(p.name for p in tmp_path.iterdir()) == before  # no file named newdir, no temporary


def test_a_batch_never_overwrites_one_of_its_inputs(logo: Path) -> None:
    disguised = logo.with_name("x.svg")
    disguised.write_bytes(logo.read_bytes())
    before = digest(disguised)
    assert_one_line_error(run(str(logo), str(disguised), "--force", *EXPLICIT), "is the input image itself")
    assert digest(disguised) == before and not logo.with_suffix(".svg").exists()


@pytest.mark.parametrize(("output", "says"), [("{tmp}/file.txt", "is not a folder"), ("/proc/batch", "cannot be written")],
                         ids=["a file", "/proc"])
def test_a_batch_output_folder_that_cannot_be_written_is_refused_before_converting(
    logo: Path, output: str, says: str
) -> None:
    (logo.parent / "file.txt").write_text("not a folder")
    second = logo.with_name("second.png")
    second.write_bytes(logo.read_bytes())
    assert_one_line_error(run(str(logo), str(second), "-o", output.format(tmp=logo.parent), *EXPLICIT), says)
    assert sorted(p.name for p in logo.parent.iterdir()) == ["file.txt", "logo.png", "second.png"]


# case 2: non-regular targets are written, never replaced


def test_a_fifo_output_receives_the_svg_and_stays_a_fifo(logo: Path) -> None:
    fifo = logo.with_name("pipe.svg")
    os.mkfifo(fifo)
    received: list[bytes] = []
    reader = threading.Thread(target=lambda: received.append(fifo.read_bytes()), daemon=True)
    reader.start()
    result = run(str(logo), "-o", str(fifo), *EXPLICIT)
    reader.join(10)
    assert result.exit_code == 0, result.output
    assert stat.S_ISFIFO(os.stat(fifo).st_mode)
    assert received and received[0].rstrip().endswith(b"</svg>")


def test_a_device_output_is_written_in_place_not_renamed_over(logo: Path) -> None:
    device = logo.with_name("null.svg")
    try:
        os.mknod(device, stat.S_IFCHR | 0o666, os.makedev(1, 3))  # a second /dev/null
    except PermissionError:
        pytest.skip("creating a device node needs CAP_MKNOD")
    result = run(str(logo), "-o", str(device), *EXPLICIT)
    assert result.exit_code == 0, result.output
    assert stat.S_ISCHR(os.stat(device).st_mode)
    assert sorted(p.name for p in logo.parent.iterdir()) == ["logo.png", "null.svg"]


# case 3: modes


@pytest.mark.parametrize("umask", [0o022, 0o077, 0o002])
def test_a_new_output_honours_the_umask(logo: Path, umask: int) -> None:
    previous = os.umask(umask)
    try:
        result = run(str(logo), "-o", str(logo.with_suffix(".svg")), *EXPLICIT)
    finally:
        os.umask(previous)
    assert result.exit_code == 0, result.output
    assert stat.S_IMODE(os.stat(logo.with_suffix(".svg")).st_mode) == 0o666 & ~umask


def test_an_existing_output_keeps_its_mode(logo: Path) -> None:
    out = logo.with_suffix(".svg")
    out.write_text("old")
    out.chmod(0o604)
    assert run(str(logo), "-o", str(out), *EXPLICIT).exit_code == 0
    assert stat.S_IMODE(os.stat(out).st_mode) == 0o604
    assert out.read_text().rstrip().endswith("</svg>")


# case 4: inputs that are not regular files are refused before they are opened


@pytest.mark.timeout(30)
def test_non_regular_inputs_are_refused_without_reading(tmp_path: Path) -> None:
    fifo = tmp_path / "pipe.png"
    os.mkfifo(fifo)  # opening it would block forever: nobody writes
    for source in (fifo, Path("/dev/zero")):
        result = run(str(source), "-o", str(tmp_path / "out.svg"), "--timeout", "1", *EXPLICIT)
        assert_one_line_error(result, "is not a regular file")


# case 6: EXIF orientation


def test_exif_orientation_is_honoured(tmp_path: Path) -> None:
    stored = Image.new("RGB", (200, 100), "white")
    stored.paste((200, 30, 30), (0, 0, 100, 100))  # red on the stored image's left half
    exif = Image.Exif()
    exif[0x0112] = 6  # viewers rotate it 90° clockwise: 100 wide, 200 high, red on top
    path = tmp_path / "phone.jpg"
    stored.save(path, "JPEG", exif=exif, quality=95)
    shown = load_image(path)
    assert shown.shape == (200, 100, 3)
    assert shown[:100].mean(axis=(0, 1))[0] > 150 > shown[:100].mean(axis=(0, 1))[1]  # red on top
    result = run(str(path), "-o", str(tmp_path / "phone.svg"), "--json", *EXPLICIT)
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert (report["width"], report["height"]) == (100, 200) and report["ssim"] > 0.9
    assert 'width="100" height="200"' in (tmp_path / "phone.svg").read_text()


# case 5: numbers are checked once, at the boundary


@pytest.mark.parametrize(
    "option",
    [*(["--timeout", v] for v in ("0", "-1", "nan", "inf", "1e300")),
     *(["--budget-ms", v] for v in ("inf", "1e300", "nan", "-1", "0")),
     *(["--ssim-per-kb", v] for v in ("nan", "inf", "-1", "1")),
     *(["--target-ssim", v] for v in ("0", "1.5", "nan", "-0.5"))],
    ids=lambda option: " ".join(option),
)
def test_hostile_numbers_exit_2_with_one_line(logo: Path, option: list[str]) -> None:
    assert_one_line_error(run(str(logo), *option), "is invalid; accepted:")
    assert not logo.with_suffix(".svg").exists()


@pytest.mark.parametrize(
    "field",
    [{"ssim_per_kb": float("nan")}, {"ssim_per_kb": float("inf")}, {"budget_ms": float("inf")},
     {"budget_ms": 1e300}, {"target_ssim": 0.0}, {"target_ssim": float("nan")}, {"feedback_ms": -1.0},
     {"max_bytes_ratio": 0.0}, {"max_conversions": 0}, {"budget_ms": "100"}, {"target_ssim": True}],
    ids=str,
)
def test_constraints_refuse_hostile_numbers_in_python(field: dict[str, object]) -> None:
    with pytest.raises(InvalidParams, match="is invalid; accepted:"):
        Constraints(**field)  # type: ignore[arg-type]


@pytest.mark.parametrize("timeout_s", [0, -1.0, float("nan"), float("inf"), 1e300])
def test_vectorize_refuses_a_hostile_time_limit(timeout_s: float) -> None:
    with pytest.raises(InvalidParams, match="time limit"):
        vectorize(np.zeros((8, 8, 3), np.uint8), timeout_s=timeout_s)


# issue 14: a quality target that is not reached is a distinct exit status


def test_a_missed_target_is_reported_and_exits_3(logo: Path) -> None:
    coarse = ["--param", "mode=polygon", "--param", "color_precision=1", "--param", "layer_difference=64"]
    result = run(str(logo), "--target-ssim", "1.0", "--json", *coarse)
    assert result.exit_code == 3, result.output
    report = json.loads(result.stdout)
    assert report["quality"] < 1.0 and report["target_met"] is False  # the target is on the v2 quality
    assert "misses the target" in result.stderr
    assert logo.with_suffix(".svg").read_text().rstrip().endswith("</svg>")  # written all the same
    met = run(str(logo), "--target-ssim", f"{report['quality'] - 0.01:.4f}", "--json", *coarse)
    assert met.exit_code == 0 and json.loads(met.stdout)["target_met"] is True


# issue 14: commands that need the training extras say how to install them


def test_a_training_command_without_torch_names_the_install_command() -> None:
    without_torch = "import sys; sys.modules['torch'] = None; from svgai.cli import main; main()"
    result = subprocess.run(
        [sys.executable, "-c", without_torch, "model", "train", "--limit", "1"],
        capture_output=True, text=True, timeout=60, env={**os.environ, "PYTHONPATH": PYTHONPATH},
    )
    assert result.returncode == 2, result.stderr
    assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr
    assert 'pip install -e ".[train]"' in result.stderr and "torch is not installed" in result.stderr
