"""Readers of the sources' npm tarballs: each yields the package's drawings as ``Icon``s.

Every ``@iconify-json/*`` set is read by one generic reader (``icons.json``: body, width, height,
left, top; aliases skipped; ``currentColor`` replaced by a colour seeded per icon; the licence from
``info.json``). Twemoji and Simple Icons ship SVG files; emoji-datasource ships the raster-origin
64 px PNG emoji (no vector original); the DejaVu fonts give brand-like words set with PIL.
"""

from __future__ import annotations

import colorsys
import hashlib
import json
import re
import tarfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from svgai.errors import SourceUnavailable

Kind = Literal["vector", "pixel", "raster", "text"]
"""How an icon is drawn: an SVG, an SVG on a pixel grid (rendered as a sprite), a PNG with no
vector original, or a word set in a font (rendered with PIL)."""


@dataclass(frozen=True)
class Icon:
    """One drawing with where it came from: ``svg`` text, or ``png`` bytes, or ``text`` in ``font``."""

    source: str
    name: str
    license: str
    svg: str | None = None
    kind: Kind = "vector"
    png: bytes | None = field(default=None, repr=False)
    text: str | None = None
    font: bytes | None = field(default=None, repr=False)

    @property
    def content(self) -> bytes:
        """The drawing's own bytes (identical drawings under two names have the same content)."""
        if self.svg is not None:
            return self.svg.encode()
        if self.png is not None:
            return self.png
        return f"{self.text}:{len(self.font or b'')}".encode()


@dataclass(frozen=True)
class IconSet:
    """A pinned npm package holding an icon set, and how to read it."""

    source: str
    package: str
    version: str
    license: str
    reader: str
    """``iconify`` (an @iconify-json package), ``twemoji``, ``simple-icons``, ``emoji-png`` or ``font``."""
    kind: Kind = "vector"

    @property
    def tarball_name(self) -> str:
        """The file name ``npm pack`` writes (``@scope/name`` becomes ``scope-name``)."""
        return f"{self.package.lstrip('@').replace('/', '-')}-{self.version}.tgz"


def read_text(archive: tarfile.TarFile, member: str) -> str:
    """A member of an npm tarball as UTF-8 text (``SourceUnavailable`` when it is missing)."""
    return _member_bytes(archive, member).decode("utf-8")


def _member_bytes(archive: tarfile.TarFile, member: str) -> bytes:
    extracted = archive.extractfile(member)
    if extracted is None:
        raise SourceUnavailable(f"{archive.name!r}: {member} is missing or not a file")
    return extracted.read()


def folder_icons(source: str, folder: Path) -> Iterator[Icon]:
    """The ``*.svg`` and raster-origin ``*.png`` files of a local folder source."""
    licence_file = folder / "LICENSE"
    licence = "unknown"
    if licence_file.is_file():
        licence = licence_file.read_text(encoding="utf-8").strip().splitlines()[0]
    for path in folder.glob("*.svg"):
        yield Icon(source, path.stem, licence, path.read_text(encoding="utf-8"))
    for path in folder.glob("*.png"):
        yield Icon(source, path.stem, licence, kind="raster", png=path.read_bytes())


def seeded_colour(key: str) -> str:
    """A saturated, mid-to-dark ``#rrggbb`` fixed by ``key`` (what ``currentColor`` becomes)."""
    digest = hashlib.sha256(key.encode()).digest()
    hue, saturation, value = digest[0] / 255, 0.45 + 0.5 * digest[1] / 255, 0.25 + 0.6 * digest[2] / 255
    red, green, blue = colorsys.hsv_to_rgb(hue, saturation, value)
    return "#" + "".join(f"{round(c * 255):02x}" for c in (red, green, blue))


def _iconify(archive: tarfile.TarFile, icon_set: IconSet) -> Iterator[Icon]:
    data: dict[str, Any] = json.loads(read_text(archive, "package/icons.json"))
    licence = _iconify_licence(archive) or icon_set.license
    width, height = data.get("width", 16), data.get("height", 16)
    # Aliases are skipped: they are the same drawing (or a flip of it) under another name.
    for name, icon in data["icons"].items():
        box = (icon.get("left", 0), icon.get("top", 0), icon.get("width", width), icon.get("height", height))
        body = icon["body"].replace("currentColor", seeded_colour(f"{icon_set.source}:{name}"))
        svg = (
            '<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" '
            f'viewBox="{" ".join(str(v) for v in box)}" width="{box[2]}" height="{box[3]}">{body}</svg>'
        )
        yield Icon(icon_set.source, name, licence, svg, icon_set.kind)


def _iconify_licence(archive: tarfile.TarFile) -> str | None:
    try:
        info: dict[str, Any] = json.loads(read_text(archive, "package/info.json"))
    except (KeyError, SourceUnavailable):
        return None
    spdx = info.get("license", {}).get("spdx")
    return str(spdx) if spdx else None


def _twemoji(archive: tarfile.TarFile, icon_set: IconSet) -> Iterator[Icon]:
    for name, svg in _members(archive, ".svg").items():
        if re.fullmatch(r"package/[0-9a-f-]+\.svg", name):
            yield Icon(icon_set.source, Path(name).stem, icon_set.license, svg.decode("utf-8"))


def _simple_icons(archive: tarfile.TarFile, icon_set: IconSet) -> Iterator[Icon]:
    # The icons are one black path; the brand colour lives in the data file.
    svgs = _members(archive, ".svg")
    brands: list[dict[str, Any]] = json.loads(read_text(archive, "package/data/simple-icons.json"))
    for brand in brands:
        slug = brand.get("slug") or _slug(brand["title"])
        svg = svgs.get(f"package/icons/{slug}.svg")
        if svg is None:
            continue
        licence = brand.get("license", {}).get("type", icon_set.license)
        coloured = svg.decode("utf-8").replace("<svg ", f'<svg fill="#{brand["hex"]}" ', 1)
        yield Icon(icon_set.source, slug, licence, coloured)


def _emoji_png(archive: tarfile.TarFile, icon_set: IconSet) -> Iterator[Icon]:
    # emoji-datasource-<set> ships img/<set>/<size>/<codepoints>.png; the 64 px ones are used as they are.
    folder = re.compile(r"package/img/[a-z]+/64/([0-9a-f-]+)\.png")
    for name, png in _members(archive, ".png").items():
        found = folder.fullmatch(name)
        if found:
            yield Icon(icon_set.source, found.group(1), icon_set.license, kind="raster", png=png)


FONTS = ("DejaVuSans.ttf", "DejaVuSans-Bold.ttf", "DejaVuSerif.ttf", "DejaVuSerif-Bold.ttf",
         "DejaVuSansCondensed-Bold.ttf", "DejaVuSansMono-Bold.ttf", "DejaVuSans-Oblique.ttf")
"""The font files of the text source, each giving words a different look."""
WORDS = 1200
"""Brand-like words of the text source (each set in one seeded font)."""
_SYLLABLES = ("ka", "zo", "lu", "mi", "tron", "vex", "ora", "nix", "pa", "ly", "qu", "sta", "fy", "gen", "io",
              "rex", "bo", "ta", "ri", "max", "el", "ux", "dal", "sen", "co", "vo", "pix", "hub", "ne", "ark")


def brand_word(index: int) -> str:
    """A short made-up brand name, fixed by ``index`` (2–3 syllables; lower, Title or UPPER case)."""
    digest = hashlib.sha256(f"word:{index}".encode()).digest()
    word = "".join(_SYLLABLES[b % len(_SYLLABLES)] for b in digest[1 : 3 + digest[0] % 2])
    return (word, word.title(), word.upper())[digest[4] % 3]


def _font_words(archive: tarfile.TarFile, icon_set: IconSet) -> Iterator[Icon]:
    ttf = _members(archive, ".ttf")
    fonts = {name: ttf[f"package/ttf/{name}"] for name in FONTS if f"package/ttf/{name}" in ttf}
    if not fonts:
        raise SourceUnavailable(f"{archive.name!r} holds none of the fonts {', '.join(FONTS)} under package/ttf/")
    names = sorted(fonts)
    for index in range(WORDS):
        word = brand_word(index)
        font = names[hashlib.sha256(f"font:{index}".encode()).digest()[0] % len(names)]
        yield Icon(icon_set.source, f"{index:04d}-{word}-{Path(font).stem}", icon_set.license, kind="text",
                   text=word, font=fonts[font])


def _members(archive: tarfile.TarFile, suffix: str) -> dict[str, bytes]:
    """Every ``suffix`` file of the archive in one pass (looking members up by name is quadratic)."""
    found = {}
    for member in archive:
        extracted = archive.extractfile(member) if member.name.endswith(suffix) else None
        if extracted is not None:
            found[member.name] = extracted.read()
    return found


def _slug(title: str) -> str:
    return re.sub(r"[^a-z0-9]", "", title.lower().replace("+", "plus").replace(".", "dot").replace("&", "and"))


READERS: dict[str, Callable[[tarfile.TarFile, IconSet], Iterator[Icon]]] = {
    "iconify": _iconify,
    "twemoji": _twemoji,
    "simple-icons": _simple_icons,
    "emoji-png": _emoji_png,
    "font": _font_words,
}
