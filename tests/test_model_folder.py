"""One model folder for the predictor, the methods and the commands, found the same way by all."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from svgai.errors import ModelUnavailable
from svgai.model_folder import (
    MANIFEST,
    PACKAGED_MODELS,
    find_model_dir,
    methods_dir,
    model_dir_candidates,
    portable,
)
from svgai.plugins import load_plugins, performance_of
from svgai_quality import LocalQualityPredictor

ROOT = Path(__file__).resolve().parents[1]
SHIPPED = ROOT / "models"


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    for name in ("SVGAI_MODEL_DIR", "SVGAI_METHODS_DIR", "XDG_DATA_HOME"):
        monkeypatch.delenv(name, raising=False)
    return monkeypatch


def test_the_environment_names_the_folder_of_the_predictor_and_the_methods(clean_env: pytest.MonkeyPatch) -> None:
    clean_env.setenv("SVGAI_MODEL_DIR", str(SHIPPED))
    assert find_model_dir() == SHIPPED and methods_dir() == SHIPPED / "methods"
    assert LocalQualityPredictor().model_dir == SHIPPED
    info = performance_of(load_plugins().manager, "feature_mapping")
    assert info["available"] and str(info["quality_source"]).startswith(str(SHIPPED / "methods"))


def test_without_a_home_folder_the_environment_still_finds_everything(clean_env: pytest.MonkeyPatch) -> None:
    def no_home() -> Path:
        raise RuntimeError("Could not determine home directory.")  # what Path.home() raises without $HOME or a passwd entry

    clean_env.delenv("HOME", raising=False)
    clean_env.setattr(Path, "home", staticmethod(no_home))
    clean_env.setenv("SVGAI_MODEL_DIR", str(SHIPPED))
    assert find_model_dir() == SHIPPED and methods_dir() == SHIPPED / "methods"
    assert LocalQualityPredictor().predict_quality(ROOT / "examples" / "logo.png", {}) > 0.5
    assert model_dir_candidates() == [SHIPPED, SHIPPED.resolve(), PACKAGED_MODELS]  # no user data folder to add


def test_an_installed_copy_in_the_user_data_folder_serves_the_methods_too(
    clean_env: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    installed = tmp_path / "data" / "svgai" / "models"
    shutil.copytree(SHIPPED, installed)
    clean_env.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    clean_env.setattr("svgai.model_folder.REPOSITORY_MODELS", tmp_path / "not-a-checkout")
    clean_env.setattr("svgai.model_folder.PACKAGED_MODELS", tmp_path / "not-installed")
    assert find_model_dir() == installed and methods_dir() == installed / "methods"
    info = performance_of(load_plugins().manager, "regression")
    assert info["available"] and str(info["quality_source"]).startswith(str(installed / "methods"))
    assert LocalQualityPredictor().model_dir == installed


def test_no_model_anywhere_says_where_it_looked(clean_env: pytest.MonkeyPatch, tmp_path: Path) -> None:
    clean_env.setenv("XDG_DATA_HOME", str(tmp_path))
    clean_env.setattr("svgai.model_folder.REPOSITORY_MODELS", tmp_path / "not-a-checkout")
    clean_env.setattr("svgai.model_folder.PACKAGED_MODELS", tmp_path / "not-installed")
    with pytest.raises(ModelUnavailable,
                       match=f"looked for {MANIFEST} in .*not-a-checkout, .*not-installed, {tmp_path}/svgai/models"):
        methods_dir()
    clean_env.setenv("SVGAI_METHODS_DIR", str(tmp_path / "mine"))
    assert methods_dir() == tmp_path / "mine"


def test_provenance_paths_are_relative_to_the_repository_or_a_bare_name(tmp_path: Path) -> None:
    assert portable(SHIPPED) == "models"
    assert portable(tmp_path / "elsewhere" / "models") == "models"
