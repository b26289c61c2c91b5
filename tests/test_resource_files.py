"""The shipped data files are found through one loader, and a missing one stops things loudly."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from hybridcoder import resource_files
from hybridcoder.analytics.prices import PriceTable
from hybridcoder.catalog import CatalogError, load_catalog
from hybridcoder.clients.errors import ConfigWriteError
from hybridcoder.clients.rules import load_rule_set
from hybridcoder.resource_files import (
    SHIPPED_FILES,
    ResourceError,
    check_shipped_files,
    read_resource_json,
    resource_path,
    resources_root,
)
from hybridcoder.routing.router import Router
from hybridcoder.routing.scorer import load_default_scorer

SOURCE_RESOURCES = Path(__file__).resolve().parents[1] / "resources"


def test_every_shipped_file_is_found_in_the_source_tree_folder() -> None:
    # The editable install maps the package onto the top-level resources/ folder itself.
    assert resources_root().resolve() == SOURCE_RESOURCES
    assert check_shipped_files() == list(SHIPPED_FILES)
    assert resource_path("rules/small_models.toml").read_text(encoding="utf-8").strip()


def test_a_missing_file_is_named() -> None:
    with pytest.raises(ResourceError, match=r"no_such\.toml is missing.*reinstall"):
        resource_path("no_such.toml")


@pytest.fixture()
def install_without(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Callable[..., Path]:
    """A copy of resources/ with one file removed (or broken), used as the installed folder."""

    def make(name: str, replace_with: str | None = None) -> Path:
        root = tmp_path / "resources"
        shutil.copytree(SOURCE_RESOURCES, root, dirs_exist_ok=True)
        if replace_with is None:
            (root / name).unlink()
        else:
            (root / name).write_text(replace_with, encoding="utf-8")
        monkeypatch.setattr(resource_files, "resources_root", lambda: root)
        return root

    return make


def test_missing_catalog_stops_with_its_name(install_without: Callable[..., Path]) -> None:
    install_without("models.toml")
    with pytest.raises(CatalogError, match=r"models\.toml"):
        load_catalog()


def test_missing_prices_do_not_quietly_become_unknown(install_without: Callable[..., Path]) -> None:
    install_without("prices.toml")
    with pytest.raises(ResourceError, match=r"prices\.toml"):
        PriceTable.load()


def test_unreadable_prices_are_loud_too(install_without: Callable[..., Path]) -> None:
    install_without("prices.toml", replace_with="[models\nbroken")
    with pytest.raises(ResourceError, match=r"prices\.toml"):
        PriceTable.load()


def test_missing_routing_weights_do_not_fall_back_to_the_rules(install_without: Callable[..., Path]) -> None:
    install_without("routing_weights.json")
    with pytest.raises(ResourceError, match=r"routing_weights\.json"):
        load_default_scorer()
    with pytest.raises(ResourceError, match=r"routing_weights\.json"):
        Router()


def test_broken_routing_weights_are_loud(install_without: Callable[..., Path]) -> None:
    install_without("routing_weights.json", replace_with='{"weights": "many"}')
    with pytest.raises(ResourceError, match=r"routing_weights\.json"):
        load_default_scorer()
    install_without("routing_weights.json", replace_with="{not json")
    with pytest.raises(ResourceError, match="not valid JSON"):
        read_resource_json("routing_weights.json")


def test_missing_rule_set_is_named(install_without: Callable[..., Path]) -> None:
    install_without("rules/small_models.toml")
    with pytest.raises(ConfigWriteError, match=r"small_models\.toml"):
        load_rule_set()


def test_the_self_check_names_the_first_missing_file(install_without: Callable[..., Path]) -> None:
    install_without("icons/hybridcoder.svg")
    with pytest.raises(ResourceError, match=r"hybridcoder\.svg"):
        check_shipped_files()
