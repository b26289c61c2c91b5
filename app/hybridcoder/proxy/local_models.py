"""Which installed local model does a job when the settings name none: by the catalog's roles.

Picking "the first installed tag" sent chat to ``qwen2.5-coder:1.5b-base``, a
fill-in-the-middle base model that cannot chat or call tools (the Continue CLI then
failed with "does not support tools"). The catalog (resources/models.toml) says what
each tag is for: ``chat``/``agent`` roles are instruct models (``agent`` ones call
tools well), ``autocomplete`` ones are base models for FIM, ``embed`` ones embed.

- chat: an ``agent`` model first when the request carries tools, then ``chat`` ones,
  then tags the catalog does not know that do not look like base or embedding
  models; bigger first (the user installed what fits). A base model only as a last resort.
- autocomplete: an ``autocomplete`` (base, FIM) model, smallest first (latency is
  everything); else the chat pick.

Pure: no I/O beyond the cached catalog file.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable

from hybridcoder.catalog import Catalog, CatalogError, CatalogModel, load_catalog

log = logging.getLogger(__name__)

#: Substrings of model names that are embedding models (never picked as a chat model).
EMBED_HINTS = ("embed", "bge-", "minilm", "e5-")


def _catalog() -> Catalog | None:
    try:
        return load_catalog()
    except CatalogError:  # a broken package must not stop the proxy: fall back to the names
        log.warning("model catalog unavailable; choosing local models by name")
        return None


def _looks_like_embedding(name: str) -> bool:
    return any(hint in name for hint in EMBED_HINTS)


def _looks_like_base(name: str) -> bool:
    tag = name.rsplit(":", 1)[-1]
    return "base" in tag or tag.endswith("-code")


def _chat_rank(name: str, model: CatalogModel | None, tools: bool) -> tuple[int, float] | None:
    """Lower is better; None = never a chat model (embeddings)."""
    if model is not None:
        if model.has_role("embed"):
            return None
        if model.has_role("agent"):
            return (0, -model.params_b)
        if model.has_role("chat") and not model.is_base:
            return (1 if tools else 0, -model.params_b)
        return (4, model.params_b)  # a FIM base model: only when nothing else is there
    if _looks_like_embedding(name):
        return None
    if _looks_like_base(name):
        return (4, 0.0)
    return (2, 0.0)


def pick_chat_model(installed: Iterable[str], *, tools: bool = False, exclude: Iterable[str] = ()) -> str | None:
    """The installed model best suited to chat (with ``tools``: tool-capable first), or None."""
    catalog = _catalog()
    skip = set(exclude)
    ranked = []
    for name in installed:
        if name in skip:
            continue
        rank = _chat_rank(name, catalog.get(name) if catalog else None, tools)
        if rank is not None:
            ranked.append((rank, name))
    return min(ranked)[1] if ranked else None


def pick_autocomplete_model(installed: Iterable[str]) -> str | None:
    """The installed FIM (base) model for autocomplete, smallest first; None when there is none."""
    catalog = _catalog()
    ranked = []
    for name in installed:
        model = catalog.get(name) if catalog else None
        if model is not None and model.has_role("autocomplete"):
            ranked.append(((0, model.params_b), name))
        elif model is None and _looks_like_base(name) and not _looks_like_embedding(name):
            ranked.append(((1, 0.0), name))
    return min(ranked)[1] if ranked else None


def pick_embed_model(installed: Iterable[str]) -> str | None:
    catalog = _catalog()
    for name in sorted(installed):
        model = catalog.get(name) if catalog else None
        if (model is not None and model.has_role("embed")) or (model is None and _looks_like_embedding(name)):
            return name
    return None
