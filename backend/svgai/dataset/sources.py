"""The dataset's sources: npm packages fetched at pinned versions, read with their licence.

Each known set is one npm package fetched with ``npm pack NAME@VERSION`` into a cache folder and
read straight from the tarball by its reader (``svgai.dataset.readers``). A source may also be a
local path — an npm tarball of a known set, or a folder of ``*.svg`` (and raster-origin ``*.png``)
files with its licence on the first line of a ``LICENSE`` file — so builds and tests run without a
network.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import tarfile
from pathlib import Path

from svgai.dataset.readers import READERS, Icon, IconSet, folder_icons, read_text
from svgai.errors import SourceUnavailable

__all__ = ["DEFAULT_CACHE", "DEFAULT_HOLDOUT", "ICON_SETS", "Icon", "IconSet", "fetch", "read_icons", "resolve"]

DEFAULT_CACHE = Path("~/.cache/svgai/npm").expanduser()

ICON_SETS: dict[str, IconSet] = {
    s.source: s
    for s in (
        IconSet("logos", "@iconify-json/logos", "1.2.19", "CC0-1.0", "iconify"),
        IconSet("twemoji", "@twemoji/svg", "15.0.0", "CC-BY-4.0", "twemoji"),
        IconSet("simple-icons", "simple-icons", "16.37.0", "CC0-1.0", "simple-icons"),
        IconSet("noto", "@iconify-json/noto", "1.2.9", "Apache-2.0", "iconify"),
        IconSet("fxemoji", "@iconify-json/fxemoji", "1.2.2", "Apache-2.0", "iconify"),
        IconSet("emojione", "@iconify-json/emojione", "1.2.3", "CC-BY-4.0", "iconify"),
        IconSet("skill-icons", "@iconify-json/skill-icons", "1.2.4", "MIT", "iconify"),
        IconSet("vscode-icons", "@iconify-json/vscode-icons", "1.2.97", "MIT", "iconify"),
        IconSet("flat-color-icons", "@iconify-json/flat-color-icons", "1.2.3", "MIT", "iconify"),
        IconSet("openmoji", "@iconify-json/openmoji", "1.2.29", "CC-BY-SA-4.0", "iconify"),
        IconSet("pixelarticons", "@iconify-json/pixelarticons", "1.2.9", "MIT", "iconify", "pixel"),
        # The PNGs' licences are the artwork's (Noto: Apache-2.0, Twemoji: CC-BY-4.0), not the package's MIT.
        IconSet("emoji-google", "emoji-datasource-google", "16.0.0", "Apache-2.0", "emoji-png", "raster"),
        IconSet("emoji-twitter", "emoji-datasource-twitter", "16.0.0", "CC-BY-4.0", "emoji-png", "raster"),
        IconSet("text", "dejavu-fonts-ttf", "2.37.3", "Bitstream-Vera", "font", "text"),
    )
}
DEFAULT_HOLDOUT = ("fxemoji", "skill-icons")
"""Sources held out whole (split "heldout"): one vector emoji style and one set of logo-like badges."""


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
        icons = list(folder_icons(source, path))
    else:
        icon_set = ICON_SETS[source]
        with tarfile.open(path, "r:gz") as archive:
            icons = list(READERS[icon_set.reader](archive, icon_set))
    return sorted(icons, key=lambda icon: icon.name)


def _tar_member(path: Path, member: str) -> str:
    with tarfile.open(path, "r:gz") as archive:
        return read_text(archive, member)
