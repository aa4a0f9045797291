"""The repository explains itself: its documents live in docs/ and no code cites a file outside it."""

from __future__ import annotations

from pathlib import Path

import pytest

from svgai.targets import PREDICTOR, ROUTING

ROOT = Path(__file__).resolve().parents[1]
OUTSIDE = ("DESIGN" + ".md", "../" + "shared")  # split so that this file does not cite them itself


def texts() -> list[Path]:
    """Every source and text file under backend/, plugins/ and tests/ (fixtures' images excluded)."""
    return [
        path
        for folder in ("backend", "plugins", "tests")
        for path in sorted((ROOT / folder).rglob("*"))
        if path.is_file() and path.suffix in {".py", ".md", ".cfg", ".toml", ".txt", ".json"}
    ]


def test_no_file_cites_a_document_outside_the_repository() -> None:
    assert len(texts()) > 50
    cited = [f"{p.relative_to(ROOT)}: {word}" for p in texts() for word in OUTSIDE if word in p.read_text(encoding="utf-8")]
    assert cited == []


@pytest.mark.parametrize("name", ["architecture.md", "data.md", "targets.md"])
def test_the_docs_exist(name: str) -> None:
    assert (ROOT / "docs" / name).read_text(encoding="utf-8").startswith("# ")


def test_docs_targets_lists_every_target_as_svgai_targets_defines_it() -> None:
    page = (ROOT / "docs" / "targets.md").read_text(encoding="utf-8")
    for target in (*PREDICTOR, *ROUTING):
        assert f"| {target.label} | `{target.name}` | {target.bound} | {target.meaning} |" in page, target.name
