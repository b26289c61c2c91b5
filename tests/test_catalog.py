"""The model catalog in resources/models.toml and its loader."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from hybridcoder.catalog import CatalogError, load_catalog, parse_catalog
from hybridcoder.paths import resources_dir

KIB = 1024

REQUIRED = [
    *(f"qwen2.5-coder:{s}" for s in ("0.5b", "1.5b", "3b", "7b", "14b", "32b")),
    *(f"qwen2.5-coder:{s}-base" for s in ("0.5b", "1.5b", "3b", "7b", "14b", "32b")),
    *(f"qwen2.5-coder:{s}-{v}-{q}" for s in ("0.5b", "1.5b", "3b", "7b", "14b", "32b")
      for v in ("instruct", "base") for q in ("q5_K_M", "q8_0")),
    "qwen3-coder:30b", "deepseek-coder-v2:16b", "codestral:22b", "devstral:24b",
    "starcoder2:3b", "starcoder2:7b", "starcoder2:15b",
    "codegemma:2b", "codegemma:7b", "codegemma:2b-code", "codegemma:7b-code", "nomic-embed-text",
]


def test_catalog_has_every_required_model_with_sane_numbers() -> None:
    catalog = load_catalog()
    for tag in REQUIRED:
        model = catalog.get(tag)
        assert model is not None, tag
        assert model.download_bytes > 100_000_000 and model.params_b > 0
        assert model.layers > 0 and model.kv_heads > 0 and model.head_dim > 0 and model.native_context >= 2048
        assert model.roles and model.licence and model.size_source
    assert catalog.source and catalog.date


@pytest.mark.parametrize(("tag", "kib_per_token"), [
    # models.md §2: KV/token f16
    ("qwen2.5-coder:0.5b", 12), ("qwen2.5-coder:1.5b", 28), ("qwen2.5-coder:3b", 36),
    ("qwen2.5-coder:7b", 56), ("qwen2.5-coder:14b", 192), ("qwen2.5-coder:32b", 256),
    ("qwen3-coder:30b", 96),
])
def test_kv_cache_matches_the_reference_table(tag: str, kib_per_token: int) -> None:
    model = load_catalog()[tag]
    assert model.kv_bytes_per_token() == kib_per_token * KIB
    assert model.kv_cache_bytes(4096) == kib_per_token * KIB * 4096


def test_context_is_clamped_to_what_the_model_was_trained_on() -> None:
    gemma = load_catalog()["codegemma:7b"]
    assert gemma.kv_cache_bytes(32768) == gemma.kv_cache_bytes(8192)


def test_aliases_resolve_to_one_model() -> None:
    catalog = load_catalog()
    assert catalog["qwen2.5-coder:7b-instruct-q4_K_M"] is catalog["qwen2.5-coder:7b"]
    assert catalog["qwen2.5-coder:latest"] is catalog["qwen2.5-coder:7b"]
    assert catalog["QWEN2.5-CODER:7B-BASE"] is catalog["qwen2.5-coder:7b-base-q4_K_M"]
    assert "no-such:model" not in catalog


def test_roles_and_licences() -> None:
    catalog = load_catalog()
    assert catalog["qwen2.5-coder:7b-base"].roles == {"autocomplete"}
    assert "chat" in catalog["qwen2.5-coder:7b"].roles
    assert catalog["codestral:22b"].non_production and "MNPL" in catalog["codestral:22b"].licence
    assert catalog["qwen2.5-coder:3b-base"].non_production  # Qwen research licence
    assert not catalog["qwen2.5-coder:7b"].non_production
    assert "autocomplete" not in catalog["codegemma:7b"].roles  # FIM only in -code
    assert "autocomplete" in catalog["codegemma:7b-code"].roles
    assert catalog["nomic-embed-text"].roles == {"embed"}
    assert {m.tag for m in catalog.with_role("agent")} >= {"devstral:24b", "qwen3-coder:30b"}


def _data() -> dict:  # type: ignore[type-arg]
    with (resources_dir() / "models.toml").open("rb") as handle:
        return tomllib.load(handle)


def test_malformed_catalogs_give_one_clear_sentence() -> None:
    data = _data()
    del data["arch"]["qwen2.5-coder-7b"]["layers"]
    with pytest.raises(CatalogError, match="has no 'layers'"):
        parse_catalog(data)
    data = _data()
    data["library"]["models"][0]["arch"] = "nope"
    with pytest.raises(CatalogError, match="unknown arch 'nope'"):
        parse_catalog(data)
    data = _data()
    data["library"]["models"].append(dict(data["library"]["models"][0]))
    with pytest.raises(CatalogError, match="twice"):
        parse_catalog(data)
    data = _data()
    data["recommend"]["chat_preference"].append("imaginary:1b")
    with pytest.raises(CatalogError, match="imaginary:1b"):
        parse_catalog(data)
    data = _data()
    data["library"]["models"][0]["roles"] = ["chat", "dance"]
    with pytest.raises(CatalogError, match="unknown roles"):
        parse_catalog(data)


def test_missing_or_broken_file(tmp_path: Path) -> None:
    with pytest.raises(CatalogError, match="missing"):
        load_catalog(tmp_path / "models.toml")
    broken = tmp_path / "broken.toml"
    broken.write_text("[recommend\n")
    with pytest.raises(CatalogError, match="not valid TOML"):
        load_catalog(broken)
