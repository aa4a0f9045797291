"""Icon sets from npm, fetched at pinned versions, read as SVG text with their licence.

Each known set is one npm package fetched with ``npm pack NAME@VERSION`` into a cache folder and
read straight from the tarball. A source may also be a local path — an npm tarball of a known set,
or a folder of ``*.svg`` files (its licence read from a ``LICENSE`` file's first line) — so builds
and tests can run without a network.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import tarfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from svgai.errors import SourceUnavailable

DEFAULT_CACHE = Path("~/.cache/svgai/npm").expanduser()


@dataclass(frozen=True)
class Icon:
    """One icon as SVG text, with where it came from."""

    source: str
    name: str
    license: str
    svg: str


@dataclass(frozen=True)
class IconSet:
    """A pinned npm package holding an icon set."""

    source: str
    package: str
    version: str
    license: str

    @property
    def tarball_name(self) -> str:
        """The file name ``npm pack`` writes (``@scope/name`` becomes ``scope-name``)."""
        return f"{self.package.lstrip('@').replace('/', '-')}-{self.version}.tgz"


ICON_SETS: dict[str, IconSet] = {
    s.source: s
    for s in (
        IconSet("logos", "@iconify-json/logos", "1.2.19", "CC0-1.0"),
        IconSet("twemoji", "@twemoji/svg", "15.0.0", "CC-BY-4.0"),
        IconSet("simple-icons", "simple-icons", "16.37.0", "CC0-1.0"),
    )
}


def fetch(icon_set: IconSet, cache: Path = DEFAULT_CACHE) -> Path:
    """Return the set's tarball in ``cache``, running ``npm pack`` first if it is not there yet."""
    tarball = cache / icon_set.tarball_name
    if tarball.is_file():
        return tarball
    npm = shutil.which("npm")
    if npm is None:
        raise SourceUnavailable(
            f"npm is not installed (needed to fetch {icon_set.package}@{icon_set.version}); "
            "install Node.js/npm, or pass a local tarball or folder of SVGs in --sources"
        )
    cache.mkdir(parents=True, exist_ok=True)
    spec = f"{icon_set.package}@{icon_set.version}"
    try:
        done = subprocess.run(
            [npm, "pack", spec, "--silent"], cwd=cache, capture_output=True, text=True, timeout=300
        )
    except subprocess.TimeoutExpired:
        raise SourceUnavailable(f"npm pack {spec} did not finish within 300 s") from None
    if done.returncode != 0 or not tarball.is_file():
        detail = (done.stderr or done.stdout).strip().splitlines()
        raise SourceUnavailable(
            f"npm pack {spec} failed (exit {done.returncode}): {detail[-1] if detail else 'no output'}; "
            "check the network and the npm registry, or pass a local tarball in --sources"
        )
    return tarball


def resolve(token: str, cache: Path = DEFAULT_CACHE) -> tuple[str, Path, str | None]:
    """Turn one ``--sources`` entry into ``(source name, path, pinned version or None)``.

    A known set name is fetched; an existing ``.tgz`` is matched to a known set by its
    package.json; an existing folder is a local source named after the folder.
    """
    if token in ICON_SETS:
        icon_set = ICON_SETS[token]
        return icon_set.source, fetch(icon_set, cache), icon_set.version
    path = Path(token).expanduser()
    if path.is_dir():
        return path.name, path, None
    if path.is_file() and path.name.endswith((".tgz", ".tar.gz")):
        package = json.loads(_tar_member(path, "package/package.json"))
        for icon_set in ICON_SETS.values():
            if package.get("name") == icon_set.package:
                return icon_set.source, path, str(package.get("version"))
        raise SourceUnavailable(
            f"{path}: package {package.get('name')!r} is not a known icon set; "
            f"accepted packages: {', '.join(s.package for s in ICON_SETS.values())}"
        )
    raise SourceUnavailable(
        f"unknown source {token!r}; accepted: {', '.join(ICON_SETS)}, a folder of .svg files "
        "or a local npm tarball of one of those sets"
    )


def read_icons(source: str, path: Path) -> list[Icon]:
    """Every icon of a resolved source, sorted by name."""
    if path.is_dir():
        icons = list(_folder_icons(source, path))
    else:
        with tarfile.open(path, "r:gz") as archive:
            icons = list(_READERS[source](archive))
    return sorted(icons, key=lambda icon: icon.name)


def _tar_member(path: Path, member: str) -> str:
    with tarfile.open(path, "r:gz") as archive:
        return _read(archive, member)


def _read(archive: tarfile.TarFile, member: str) -> str:
    extracted = archive.extractfile(member)
    if extracted is None:
        raise SourceUnavailable(f"{archive.name!r}: {member} is missing or not a file")
    return extracted.read().decode("utf-8")


def _folder_icons(source: str, folder: Path) -> Iterator[Icon]:
    licence_file = folder / "LICENSE"
    licence = "unknown"
    if licence_file.is_file():
        licence = licence_file.read_text(encoding="utf-8").strip().splitlines()[0]
    for path in folder.glob("*.svg"):
        yield Icon(source, path.stem, licence, path.read_text(encoding="utf-8"))


def _logos(archive: tarfile.TarFile) -> Iterator[Icon]:
    data: dict[str, Any] = json.loads(_read(archive, "package/icons.json"))
    width, height = data.get("width", 16), data.get("height", 16)
    licence = ICON_SETS["logos"].license
    # Aliases are skipped: they are the same drawing (or a flip of it) under another name.
    for name, icon in data["icons"].items():
        box = (icon.get("left", 0), icon.get("top", 0), icon.get("width", width), icon.get("height", height))
        svg = (
            '<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" '
            f'viewBox="{" ".join(str(v) for v in box)}" width="{box[2]}" height="{box[3]}">'
            f"{icon['body']}</svg>"
        )
        yield Icon("logos", name, licence, svg)


def _twemoji(archive: tarfile.TarFile) -> Iterator[Icon]:
    licence = ICON_SETS["twemoji"].license
    for name, svg in _svg_members(archive).items():
        if re.fullmatch(r"package/[0-9a-f-]+\.svg", name):
            yield Icon("twemoji", Path(name).stem, licence, svg)


def _simple_icons(archive: tarfile.TarFile) -> Iterator[Icon]:
    # The icons are one black path; the brand colour lives in the data file.
    svgs = _svg_members(archive)
    brands: list[dict[str, Any]] = json.loads(_read(archive, "package/data/simple-icons.json"))
    for brand in brands:
        slug = brand.get("slug") or _slug(brand["title"])
        svg = svgs.get(f"package/icons/{slug}.svg")
        if svg is None:
            continue
        licence = brand.get("license", {}).get("type", ICON_SETS["simple-icons"].license)
        yield Icon("simple-icons", slug, licence, svg.replace("<svg ", f'<svg fill="#{brand["hex"]}" ', 1))


def _svg_members(archive: tarfile.TarFile) -> dict[str, str]:
    """Every ``.svg`` file of the archive in one pass (looking members up by name is quadratic)."""
    found = {}
    for member in archive:
        extracted = archive.extractfile(member) if member.name.endswith(".svg") else None
        if extracted is not None:
            found[member.name] = extracted.read().decode("utf-8")
    return found


def _slug(title: str) -> str:
    return re.sub(r"[^a-z0-9]", "", title.lower().replace("+", "plus").replace(".", "dot").replace("&", "and"))


_READERS: dict[str, Callable[[tarfile.TarFile], Iterator[Icon]]] = {
    "logos": _logos,
    "twemoji": _twemoji,
    "simple-icons": _simple_icons,
}

