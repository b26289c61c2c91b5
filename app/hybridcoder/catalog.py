"""The model catalog: which local coder models exist, how big they are, what they are for.

The facts live in ``resources/models.toml`` (data with sources and a date); this module
only loads and validates them, so a new Ollama tag is an edit to that file, not to code.
It also carries the recommendation policy from the same file (see :mod:`recommend`).

This module never touches the network and never guesses a number that is not in the file.
"""

from __future__ import annotations

import functools
import tomllib
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from hybridcoder.errors import HybridCoderError
from hybridcoder.resource_files import ResourceError, resource_path

__all__ = [
    "ROLES",
    "Catalog",
    "CatalogError",
    "CatalogModel",
    "RecommendPolicy",
    "load_catalog",
]

#: What a model can be used for: talk/edit, tool-using agent, fill-in-the-middle, embeddings.
ROLES = ("chat", "agent", "autocomplete", "embed")

CATALOG_FILE = "models.toml"


class CatalogError(HybridCoderError):
    """The catalog file is missing or malformed (a packaging or editing mistake)."""


@dataclass(frozen=True)
class CatalogModel:
    """One Ollama tag with the numbers needed to size it."""

    tag: str
    family: str
    params_b: float
    #: "instruct", "base" or "embed".
    variant: str
    quant: str
    download_bytes: int
    native_context: int
    layers: int
    kv_heads: int
    head_dim: int
    roles: frozenset[str]
    licence: str
    non_production: bool = False
    notes: str = ""
    size_source: str = ""
    aliases: tuple[str, ...] = ()

    @property
    def is_base(self) -> bool:
        return self.variant == "base"

    def has_role(self, role: str) -> bool:
        return role in self.roles

    def kv_bytes_per_token(self, bytes_per_element: float = 2.0) -> float:
        """KV cache per token: 2 (K and V) x layers x kv_heads x head_dim x element size."""
        return 2 * self.layers * self.kv_heads * self.head_dim * bytes_per_element

    def kv_cache_bytes(self, context: int, bytes_per_element: float = 2.0) -> int:
        """KV cache for ``context`` tokens; Ollama clamps the context to the trained length."""
        tokens = min(context, self.native_context)
        return int(self.kv_bytes_per_token(bytes_per_element) * tokens)

    @property
    def size_label(self) -> str:
        """``7B Q4`` style label for human reasons."""
        params = f"{self.params_b:.1f}".rstrip("0").rstrip(".")
        quant = self.quant.upper().split("_")[0]
        return f"{params}B {quant}"

    def as_json(self) -> dict[str, Any]:
        return {
            "tag": self.tag,
            "family": self.family,
            "params_b": self.params_b,
            "variant": self.variant,
            "quant": self.quant,
            "download_bytes": self.download_bytes,
            "native_context": self.native_context,
            "layers": self.layers,
            "kv_heads": self.kv_heads,
            "head_dim": self.head_dim,
            "roles": sorted(self.roles),
            "licence": self.licence,
            "non_production": self.non_production,
            "notes": self.notes,
            "size_source": self.size_source,
        }


@dataclass(frozen=True)
class RecommendPolicy:
    """The rules :func:`hybridcoder.recommend.recommend_models` applies (from the catalog file)."""

    headroom: float
    overhead_bytes: int
    min_gpu_bytes: int
    cpu_ram_share: float
    cpu_max_chat_params_b: float
    cpu_quants: tuple[str, ...]
    cpu_max_chat_context: int
    chat_min_context: int
    chat_context_steps: tuple[int, ...]
    autocomplete_context: int
    autocomplete_max_params_b: float
    chat_preference: tuple[str, ...]
    autocomplete_preference: tuple[str, ...]


@dataclass(frozen=True)
class Catalog:
    """All known models plus the recommendation policy; look models up by tag or alias."""

    models: tuple[CatalogModel, ...]
    policy: RecommendPolicy
    source: str
    date: str

    @functools.cached_property
    def _index(self) -> dict[str, CatalogModel]:
        index: dict[str, CatalogModel] = {}
        for model in self.models:
            for name in (model.tag, *model.aliases):
                index[name.lower()] = model
        return index

    def get(self, tag: str) -> CatalogModel | None:
        """The model for a tag or alias (``qwen2.5-coder:7b-instruct-q4_K_M`` → ``qwen2.5-coder:7b``)."""
        return self._index.get(tag.strip().lower())

    def __getitem__(self, tag: str) -> CatalogModel:
        model = self.get(tag)
        if model is None:
            raise KeyError(tag)
        return model

    def __contains__(self, tag: object) -> bool:
        return isinstance(tag, str) and self.get(tag) is not None

    def with_role(self, role: str) -> list[CatalogModel]:
        return [m for m in self.models if m.has_role(role)]

    def families(self) -> list[str]:
        return sorted({m.family for m in self.models})


def _require(table: dict[str, Any], key: str, kind: type | tuple[type, ...], where: str) -> Any:
    if key not in table:
        raise CatalogError(f"The model catalog is incomplete: {where} has no '{key}'.")
    value = table[key]
    if not isinstance(value, kind) or (isinstance(value, bool) and kind is not bool):
        raise CatalogError(f"The model catalog is malformed: {where}.{key} has the wrong type.")
    return value


def _parse_policy(data: dict[str, Any]) -> RecommendPolicy:
    where = "[recommend]"
    number = (int, float)
    return RecommendPolicy(
        headroom=float(_require(data, "headroom", number, where)),
        overhead_bytes=int(_require(data, "overhead_bytes", int, where)),
        min_gpu_bytes=int(_require(data, "min_gpu_bytes", int, where)),
        cpu_ram_share=float(_require(data, "cpu_ram_share", number, where)),
        cpu_max_chat_params_b=float(_require(data, "cpu_max_chat_params_b", number, where)),
        cpu_quants=tuple(_require(data, "cpu_quants", list, where)),
        cpu_max_chat_context=int(_require(data, "cpu_max_chat_context", int, where)),
        chat_min_context=int(_require(data, "chat_min_context", int, where)),
        chat_context_steps=tuple(sorted(_require(data, "chat_context_steps", list, where))),
        autocomplete_context=int(_require(data, "autocomplete_context", int, where)),
        autocomplete_max_params_b=float(_require(data, "autocomplete_max_params_b", number, where)),
        chat_preference=tuple(_require(data, "chat_preference", list, where)),
        autocomplete_preference=tuple(_require(data, "autocomplete_preference", list, where)),
    )


def _parse_models(archs: dict[str, Any], rows: Iterable[dict[str, Any]]) -> list[CatalogModel]:
    models: list[CatalogModel] = []
    for row in rows:
        tag = _require(row, "tag", str, "a [library] model")
        where = f"model {tag}"
        arch_name = _require(row, "arch", str, where)
        arch = archs.get(arch_name)
        if not isinstance(arch, dict):
            raise CatalogError(f"The model catalog is malformed: {where} names unknown arch '{arch_name}'.")
        arch_where = f"[arch.{arch_name}]"
        roles = frozenset(_require(row, "roles", list, where))
        unknown = roles - set(ROLES)
        if unknown:
            raise CatalogError(f"The model catalog is malformed: {where} has unknown roles {sorted(unknown)}.")
        notes = " ".join(n for n in (str(arch.get("notes", "")), str(row.get("notes", ""))) if n)
        models.append(CatalogModel(
            tag=tag,
            family=_require(arch, "family", str, arch_where),
            params_b=float(_require(arch, "params_b", (int, float), arch_where)),
            variant=_require(row, "variant", str, where),
            quant=_require(row, "quant", str, where),
            download_bytes=_require(row, "download_bytes", int, where),
            native_context=_require(arch, "native_context", int, arch_where),
            layers=_require(arch, "layers", int, arch_where),
            kv_heads=_require(arch, "kv_heads", int, arch_where),
            head_dim=_require(arch, "head_dim", int, arch_where),
            roles=roles,
            licence=_require(arch, "licence", str, arch_where),
            non_production=bool(arch.get("non_production", False)),
            notes=notes,
            size_source=str(row.get("size_source", "")),
            aliases=tuple(row.get("aliases", ())),
        ))
    return models


def parse_catalog(data: dict[str, Any]) -> Catalog:
    """Build a :class:`Catalog` from the parsed TOML; raises :class:`CatalogError` on bad data."""
    archs = data.get("arch", {})
    library = data.get("library", {})
    if not isinstance(archs, dict) or not isinstance(library, dict):
        raise CatalogError("The model catalog is malformed: [arch] and [library] must be tables.")
    models = _parse_models(archs, _require(library, "models", list, "[library]"))
    recommend = data.get("recommend")
    if not isinstance(recommend, dict):
        raise CatalogError("The model catalog has no [recommend] policy.")
    catalog = Catalog(
        models=tuple(models),
        policy=_parse_policy(recommend),
        source=str(data.get("source", "")),
        date=str(data.get("date", "")),
    )
    seen: dict[str, str] = {}
    for model in models:
        for name in (model.tag, *model.aliases):
            if name.lower() in seen:
                raise CatalogError(f"The model catalog lists '{name}' twice ({seen[name.lower()]}, {model.tag}).")
            seen[name.lower()] = model.tag
    for tag in (*catalog.policy.chat_preference, *catalog.policy.autocomplete_preference):
        if tag not in catalog:
            raise CatalogError(f"The recommendation policy names '{tag}', which is not in the catalog.")
    return catalog


@functools.lru_cache(maxsize=4)
def _load_cached(path: Path, mtime_ns: int) -> Catalog:
    try:
        with path.open("rb") as handle:
            data = tomllib.load(handle)
    except tomllib.TOMLDecodeError as exc:
        raise CatalogError(f"The model catalog {path.name} is not valid TOML ({exc}).") from None
    return parse_catalog(data)


def load_catalog(path: Path | None = None) -> Catalog:
    """Load (and cache until the file changes) the catalog shipped in ``resources/``."""
    if path is None:
        try:
            path = resource_path(CATALOG_FILE)
        except ResourceError as exc:
            raise CatalogError(exc.message) from None
    try:
        mtime_ns = path.stat().st_mtime_ns
    except OSError:
        raise CatalogError(f"The model catalog is missing ({path}); reinstall Hybrid Coder.") from None
    return _load_cached(path, mtime_ns)
