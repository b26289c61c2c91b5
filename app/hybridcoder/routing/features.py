"""Numbers that describe a request well enough to route it, computed in microseconds.

``extract_features(body, endpoint)`` reads an OpenAI- or Ollama-shaped request body
exactly as Continue, Cline, aider or the OpenAI SDK send it and returns a
:class:`Features`: what kind of request it is, how big, how many files and rules it
carries, how deep the conversation is, and a few signals from the user's own words.

Why it is written this way: the proxy calls this on every request, including
30k-token agent turns, and the whole routing decision must stay under 0.2 ms. So
there is no tokenizer (tokens ~ characters / 4), the body is never re-serialised,
large texts are only searched with ``str.find``/``str.count`` (C speed), and word
signals are read from the user's instruction (code blocks and attached files
removed, length capped), not from the whole prompt.

This module must never log, store or return prompt text: features are numbers
(and the override word), safe to put in the ledger.
"""

from __future__ import annotations

import itertools
import re
import zlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, fields
from typing import Any, NamedTuple

from hybridcoder.routing.decision import Kind

CHARS_PER_TOKEN = 4
#: Characters of the user's instruction scanned for word signals (head and tail).
_INSTRUCTION_HEAD = 1500
_INSTRUCTION_TAIL = 2500

FIM_ENDPOINTS = frozenset({"/v1/completions", "/completions"})
EMBED_ENDPOINTS = frozenset({"/v1/embeddings", "/embeddings", "/api/embed", "/api/embeddings"})
FIM_MARKERS = ("<|fim_prefix|>", "<fim_prefix>", "<|fim_middle|>", "<PRE>", "<|fim▁begin|>", "[SUFFIX]")

# Edit/apply requests: Continue's edit and apply templates, aider's edit formats.
EDIT_MARKERS = (
    "the user has requested a section of code in a file to be rewritten",  # Continue gptEditPrompt
    "please rewrite the above file to address the following request",
    'fill in the "[blank]"',
    "the following code was suggested as an edit",  # Continue defaultApplyPrompt
    "original code:",
    "*search/replace block*",  # aider diff
    "return the entire content of the updated file",  # aider whole
    "unified diffs that `diff -u0` would produce",  # aider udiff
    "rewrite the code",
    "output only a code block with the rewritten code",
)
#: Question-answering prompts that mention edit formats without asking for an edit (aider /ask).
NOT_EDIT_MARKERS = ("answer questions about the supplied code",)

#: Where a client's own boilerplate starts inside the last user message (aider's reminders);
#: the user's instruction is what comes before it.
CLIENT_BOILERPLATE = (
    "# *SEARCH/REPLACE block* Rules",
    "To suggest changes to a file you MUST return",
    "# File editing rules:",
)
#: Client templates that wrap the user's request: (start marker, end marker).
REQUEST_TEMPLATES = (
    ("The user's request is: \"", "\"\n"),  # Continue edit (section)
    ("to address the following request:\n\n", "\n\nYou should rewrite"),  # Continue edit (full file)
    ("satisfies the following request:\n\n\"", "\"\n\nPlease generate"),  # Continue edit (insertion)
)
APPLY_MARKER = "The following code was suggested as an edit:"
#: User messages that carry context, not a turn (aider's file listing and repo map).
CONTEXT_MESSAGES = ("I have *added these files to the chat*", "Here are summaries of some files present")

#: aider sends worked examples as messages, then this user message; files before it are not the user's.
AIDER_EXAMPLES_END = "I switched to a new code base"

#: Where a client's own system prompt ends and the user's rules begin (Continue, Cline).
USER_RULES_AFTER = ("</important_rules>", "USER'S CUSTOM INSTRUCTIONS")
#: System prompts that are entirely the client's when no user section follows (Cline, aider).
CLIENT_ONLY_SYSTEM = ("You are Cline", "Act as an expert software developer", "Act as an expert code analyst")
# Rules headings inside the user's part; counting starts at the last one.
RULE_SECTION_MARKERS = (
    "USER'S CUSTOM INSTRUCTIONS",
    "# Rules",
    "<rules>",
    ".clinerules",
    "Project rules",
    "Rules:",
)
#: How much of the end of the system prompt is searched for rule lines (about 3,000 tokens).
RULES_SCAN_CHARS = 12000
_RULE_LINE = re.compile(r"\n[ \t]*(?:[-*•]|\d{1,3}[.)]|(?:Always|Never|Do not|Don't|You must|Must)\b)[ \t]*\S")
_PATH_TOKEN = re.compile(r"[/\\]?(?:[\w.@~-]+[/\\])*[\w.@-]+\.[A-Za-z0-9]{1,10}")
_WORD = re.compile(r"[a-z][a-z0-9_'.+#-]*")
_VERSION = re.compile(r"\b[A-Z][A-Za-z.+#-]*\s+v?\d+(?:\.\d+)*\b")
_CLINE_TAG = re.compile(r"<(?:task|feedback|user_message|answer)>")
#: Keys of a tool call's JSON arguments that name a file.
_PATH_KEYS = ('"path"', '"file_path"', '"filePath"')
_OVERRIDE = re.compile(
    r"^(\s*(?:<(?:task|feedback|user_message|answer)>\s*)?)@(cloud|local)\b[ \t]*[:,]?[ \t]*", re.IGNORECASE
)

# Word signals read from the user's instruction. An entry with a space (or other
# punctuation) matches as a substring; a plain word must be a whole word; a word
# ending in "*" matches any word starting with it ("migrat*": migrate, migration).
LOCAL_INTENT = (
    "explain*", "what does", "what is", "what happens", "how does", "walk me through", "in plain words",
    "used for", "docstring*", "doc comment*", "jsdoc", "javadoc", "rustdoc",
    "godoc", "comment*", "document", "readme", "changelog", "unit test*", "test", "tests", "pytest",
    "jest", "vitest", "junit", "doctest*", "rename*", "extract*", "convert*", "inline", "boilerplate",
    "scaffold*", "crud", "config", "dockerfile", "makefile", "gitignore", "script", "one-liner",
    "regex", "one-off", "throwaway", "format*", "typo*", "type hints", "annotat*", "simplif*",
    "summar*", "sort*", "getter*", "setter*", "dataclass*",
)
CLOUD_INTENT = (
    "across", "architect*", "design*", "codebase", "every file", "all the files", "modules", "migrat*",
    "race", "concurren*", "deadlock*", "thread-safe", "memory leak", "security", "vulnerab*",
    "performance", "optimi*", "why does", "debug*", "intermittent*", "flaky", "edge case", "corner case",
    "must", "reject*", "handle", "handles", "trade-off*", "tradeoff*", "distributed", "consisten*",
    "idempot*", "transaction*", "invariant*", "end-to-end", "end to end", "plan how", "a plan",
    "root cause", "backward compat", "breaking change*", "protocol*", "specification*", "requirement*",
)
AMBIGUOUS = (
    "make it better", "fix it", "doesn't work", "does not work", "not working", "the usual", "like before",
    "you know", "we discussed", "the thing", "clean this up", "clean up", "the bug", "the issue",
    "the problem", "improve*", "something", "somehow", "whatever", "better", "nicer", "properly", "etc",
    "stuff", "broken", "faster", "hmm", "again", "redo",
)
#: Frameworks and libraries a 7B coder has thin or no training data for (niche or released recently).
NICHE_TERMS = (
    "svelte 5", "runes", "$state", "$derived", "htmx", "qwik", "solidstart", "astro", "leptos", "dioxus",
    "bevy", "tauri 2", "zig", "gleam", "roc ", "mojo", "effect-ts", "effect.", "drizzle", "hono",
    "elysia", "bun.serve", "deno 2", "pydantic v2", "pydantic-ai", "fasthtml", "litestar", "polars",
    "duckdb", "textual", "reflex", "marimo", "jax", "triton", "mlx", "langgraph", "dspy", "temporal",
    "react 19", "server actions", "next 15", "app router", "nuxt 4", "angular signals", "vite 6",
    "tailwind v4", "tailwind 4", "expo router", "swiftdata", "swift 6", "kotlin multiplatform",
    "compose multiplatform", "uv ", "ruff", "rye", "pixi", "nix flake", "wasi", "component model",
    "unison", "jj ", "jujutsu", "datastar", "alpine.js", "fresh 2", "remix", "react router 7",
)


#: What kind of task the ask names, in the labelling taxonomy's own words (tests/data/routing/
#: LABELLING.md rules 2, 4, 8 and 9, and the field report's list of what 7B coders do well): one
#: bit each in :attr:`Features.ask`. Classes, not single n-grams, so that "write a Dockerfile" in
#: one source and "a docker-compose file" in another share a signal the model can weigh.
#: Written from those rules before looking at any misrouted request; same matching as above.
ASK_CLASSES: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("explain", ("explain*", "what does", "what is", "what are", "how does", "walk me through", "describe*",
                 "summar*", "in plain words", "difference between")),
    # Asking for tests, not mentioning one ("one test fails now and then" is not a request for tests).
    ("tests", ("unit test*", "test case*", "tests for", "test for", "a test", "write tests", "add tests", "pytest",
               "unittest", "jest", "vitest", "junit", "xunit", "rspec", "mocha")),
    ("docs", ("docstring*", "doc comment*", "comment*", "document", "documentation", "jsdoc", "javadoc",
              "rustdoc", "readme", "changelog")),
    ("refactor", ("rename*", "extract*", "inline", "convert*", "type hints", "type annotations", "reformat*",
                  "simplif*")),
    ("scaffold", ("boilerplate", "scaffold*", "skeleton", "crud", "config", "configuration", "dockerfile",
                  "makefile", "template", "starter", "set up", "gitignore")),
    ("script", ("script", "one-liner", "one-off", "throwaway", "snippet", "command", "regex", "query")),
    ("implement", ("implement*", "fill in", "complete the", "body of")),
    ("design", ("design*", "architect*", "trade-off*", "tradeoff*", "should we", "should this", "should it",
                "should i", "which approach", "best way", "strategy")),
    ("broad", ("across", "every file", "all files", "all the files", "codebase", "whole project", "repository",
               "migrat*", "everywhere", "all callers", "run the tests", "until")),
)
#: Bit of each class in :attr:`Features.ask`, in :data:`ASK_CLASSES` order.
ASK_BITS: dict[str, int] = {name: 1 << index for index, (name, _) in enumerate(ASK_CLASSES)}
#: Set when the ask is a question offering alternatives ("X or Y?"): a choice, usually a design one.
ASK_CHOICE_BIT = 1 << len(ASK_CLASSES)


@dataclass(frozen=True, slots=True)
class Features:
    """What the router knows about one request; numbers only (plus the override word)."""

    kind: Kind
    #: Estimated prompt tokens: all message text, the system prompt and tool schemas.
    prompt_tokens: int = 0
    system_tokens: int = 0
    #: Estimated tokens of the last user message.
    last_user_tokens: int = 0
    #: Distinct files whose content or path is in the context (fences, file tags, tool calls).
    files: int = 0
    #: Rule-like lines (bullets, numbered items, "Always/Never ...") in the user's rules.
    rules: int = 0
    #: User turns in the conversation (1 = first question).
    turns: int = 0
    messages: int = 0
    #: Tools offered to the model.
    tools: int = 0
    #: Tool calls and tool results already in the conversation (agent loop progress).
    tool_messages: int = 0
    images: int = 0
    code_blocks: int = 0
    #: Requirement-like lines (bullets, numbered items) in the user's instruction.
    requirements: int = 0
    #: Word signals in the user's instruction (number of distinct matches).
    local_words: int = 0
    cloud_words: int = 0
    ambiguous_words: int = 0
    niche_words: int = 0
    #: Words in the user's instruction (code and attached files removed).
    instruction_words: int = 0
    #: Commas and semicolons in the instruction: enumerated cases and conditions.
    clauses: int = 0
    #: Concrete referents in the instruction: `code`, names(), snake_case, camelCase, file.ext.
    identifiers: int = 0
    #: "Name 5" / "Name v0.15" mentions: version-specific (often recent) knowledge.
    versions: int = 0
    #: Which entries of the (public, fixed) word lists matched, as a 20-bit hash; 0 = none.
    #: Lets learning tell "add type hints" from "explain" without keeping any text.
    intent: int = 0
    #: The instruction asks a question (a "?" in the user's own words, any script's question mark).
    question: int = 0
    #: Cline's plan mode ("# Current Mode / PLAN MODE"): the answer is prose, not file edits.
    plan_mode: int = 0
    #: Which :data:`ASK_CLASSES` the instruction names (bit mask; :data:`ASK_CHOICE_BIT` for "X or Y?").
    ask: int = 0
    #: Tools offered that change things (write or edit a file, run a command).
    write_tools: int = 0
    #: The last message is a tool result: the model is in the middle of a tool-using task.
    pending_tool_result: int = 0
    #: Hashed word n-grams of the user's instruction (words, pairs, opening words) and of the user's rules
    #: (:func:`term_hash`), sorted; numbers, not text, and never recorded (see :meth:`numbers`).
    terms: tuple[int, ...] = ()
    #: Hashed names the instruction mentions (CamelCase, Capitalised mid-sentence, with a version or
    #: a sigil: "Leptos", "useTask$", "Bevy 0.15"), for "has the router seen this name before";
    #: numbers, not text, never recorded.
    names: tuple[int, ...] = ()
    #: "cloud" / "local" when the last user message starts with @cloud / @local.
    override: str | None = None

    def numbers(self) -> dict[str, float]:
        """The numeric features, for the ledger and for learning (never text)."""
        out = {name: float(getattr(self, name)) for name in _NUMERIC_FIELDS}
        out["kind_" + self.kind] = 1.0
        return out

    @classmethod
    def from_numbers(cls, numbers: Mapping[str, float]) -> Features:
        """Rebuild features from :meth:`numbers` (as recorded in the ledger); unknown keys ignored."""
        kind: Kind = "other"
        for candidate in _KINDS:
            if numbers.get("kind_" + candidate):
                kind = candidate
        values: dict[str, Any] = {name: int(numbers.get(name, 0) or 0) for name in _NUMERIC_FIELDS}
        return cls(kind=kind, **values)


_KINDS: tuple[Kind, ...] = ("autocomplete", "chat", "edit", "agent", "embed")
_NUMERIC_FIELDS = tuple(f.name for f in fields(Features) if f.name not in ("kind", "override", "terms", "names"))


def extract_features(body: Mapping[str, Any], endpoint: str = "/v1/chat/completions") -> Features:
    """Describe one request body; never raises on odd shapes (unknown parts are ignored)."""
    if not isinstance(body, Mapping):
        return Features(kind="other")
    endpoint = endpoint.rstrip("/") or endpoint
    if endpoint in EMBED_ENDPOINTS:
        return Features(kind="embed", prompt_tokens=_text_tokens(body.get("input") or body.get("prompt")))
    if endpoint in FIM_ENDPOINTS or endpoint == "/api/generate":
        return _completion_features(body, endpoint)
    return _chat_features(body)


def request_terms(body: Mapping[str, Any], endpoint: str = "/v1/chat/completions") -> set[str]:
    """The term strings behind ``extract_features(body, endpoint).terms`` (training and explaining
    only: the request path carries just their hashes)."""
    if not isinstance(body, Mapping):
        return set()
    endpoint = endpoint.rstrip("/") or endpoint
    if endpoint in EMBED_ENDPOINTS:
        return set()
    if endpoint in FIM_ENDPOINTS or endpoint == "/api/generate":
        if extract_features(body, endpoint).kind == "autocomplete":
            return set()
        prompt, system = body.get("prompt"), body.get("system")
        return term_strings(_instruction_text(prompt if isinstance(prompt, str) else ""),
                            _user_rules(system if isinstance(system, str) else "")[1])
    messages = body.get("messages")
    system_parts = [body["system"]] if isinstance(body.get("system"), str) else []
    last_user = ""
    for message in messages if isinstance(messages, list) else []:
        if not isinstance(message, dict):
            continue
        text = _content_text(message.get("content"))[0]
        if message.get("role") in ("system", "developer"):
            system_parts.append(text)
        elif message.get("role") == "user" and not text.startswith(AIDER_EXAMPLES_END):
            last_user = text
    return term_strings(_instruction_text(last_user), _user_rules("\n".join(system_parts))[1])


def _completion_features(body: Mapping[str, Any], endpoint: str) -> Features:
    prompt = body.get("prompt")
    prompt_text = prompt if isinstance(prompt, str) else ""
    suffix = body.get("suffix")
    suffix_text = suffix if isinstance(suffix, str) else ""
    is_fim = (
        endpoint in FIM_ENDPOINTS
        or bool(suffix_text)
        or bool(body.get("raw"))
        or any(marker in prompt_text for marker in FIM_MARKERS)
    )
    tokens = (len(prompt_text) + len(suffix_text)) // CHARS_PER_TOKEN
    if is_fim:
        return Features(kind="autocomplete", prompt_tokens=tokens, last_user_tokens=tokens, turns=1)
    system = body.get("system")
    system_text = system if isinstance(system, str) else ""
    instruction = _instruction_text(prompt_text)
    words = _word_signals(instruction)
    rules, rules_text = _user_rules(system_text)
    return Features(
        kind="chat",
        prompt_tokens=tokens + len(system_text) // CHARS_PER_TOKEN,
        system_tokens=len(system_text) // CHARS_PER_TOKEN,
        last_user_tokens=tokens,
        files=len(_files_in(prompt_text)),
        rules=rules,
        turns=1,
        messages=1,
        code_blocks=prompt_text.count("```") // 2,
        terms=instruction_terms(instruction, rules_text),
        names=instruction_names(instruction, prompt_text),
        **words,
    )


def _chat_features(body: Mapping[str, Any]) -> Features:
    messages = body.get("messages")
    if not isinstance(messages, list):
        messages = []
    tools = body.get("tools")
    if not isinstance(tools, list):
        tools = []
    tool_count = len(tools)
    tool_chars = _tools_chars(tools) if tool_count else 0

    system_parts: list[str] = []
    if isinstance(body.get("system"), str):  # Anthropic-style or Ollama /api/generate-style system
        system_parts.append(body["system"])
    files: set[str] = set()
    total_chars = 0
    turns = 0
    tool_messages = 0
    images = 0
    fences = 0
    last_user: str | None = None
    last_user_raw: Any = None
    for message in messages:
        if not isinstance(message, dict):
            continue
        role = message.get("role")
        content = message.get("content")
        if isinstance(content, str):  # the common case, without a call
            text = content
        else:
            text, message_images = _content_text(content)
            images += message_images
        total_chars += len(text)
        if role in ("system", "developer"):
            system_parts.append(text)
            continue
        if role == "tool":
            # Tool results are file contents and command output; the paths come from
            # the tool calls, and scanning 100 KB of results would cost the budget.
            tool_messages += 1
            continue
        if role == "user" and text.startswith(AIDER_EXAMPLES_END):
            # aider's worked examples (with their own file paths) come before this line.
            files.clear()
            fences = 0
            turns = 0
            continue
        if text:
            fences += _scan_files(text, files, cline=role == "user" and _is_cline_text(text))
        if role == "user":
            if not text.startswith(CONTEXT_MESSAGES):
                turns += 1
            last_user = text
            last_user_raw = message.get("content")
        elif role == "assistant":
            calls = message.get("tool_calls")
            if isinstance(calls, list) and calls:
                tool_messages += len(calls)
                for call in calls:
                    _add_tool_call_paths(call, files)
    system_text = "\n".join(system_parts)
    kind: Kind
    if tool_count or tool_messages:
        kind = "agent"
    elif _looks_like_edit(system_text, last_user or ""):
        kind = "edit"
    else:
        kind = "chat"
    instruction = _instruction_text(last_user or "")
    rules, rules_text = _user_rules(system_text)
    last_role = last_message_role(messages)
    return Features(
        kind=kind,
        prompt_tokens=(total_chars + tool_chars) // CHARS_PER_TOKEN,
        system_tokens=len(system_text) // CHARS_PER_TOKEN,
        last_user_tokens=len(last_user or "") // CHARS_PER_TOKEN,
        files=len(files),
        rules=rules,
        turns=turns,
        messages=len(messages),
        tools=tool_count,
        tool_messages=tool_messages,
        images=images,
        code_blocks=fences // 2,
        plan_mode=1 if last_user and _in_plan_mode(last_user) else 0,
        write_tools=_write_tool_count(tools) if tool_count else 0,
        pending_tool_result=1 if last_role == "tool" or (
            last_role == "user" and last_user is not None and _is_tool_result_text(last_user)) else 0,
        terms=instruction_terms(instruction, rules_text),
        names=instruction_names(instruction, last_user or ""),
        override=_override_word(last_user_raw),
        **_word_signals(instruction),
    )


def last_message_role(messages: list[Any]) -> str:
    """The role of the last message ("" when there is none)."""
    for message in reversed(messages):
        if isinstance(message, dict):
            role = message.get("role")
            return role if isinstance(role, str) else ""
    return ""


def _content_text(content: Any) -> tuple[str, int]:
    """Message content as one string (OpenAI string or content parts); counts images."""
    if isinstance(content, str):
        return content, 0
    if not isinstance(content, list):
        return "", 0
    texts: list[str] = []
    images = 0
    for part in content:
        if isinstance(part, dict):
            kind = part.get("type")
            if kind == "text" and isinstance(part.get("text"), str):
                texts.append(part["text"])
            elif kind in ("image_url", "image", "input_image"):
                images += 1
        elif isinstance(part, str):
            texts.append(part)
    return "\n".join(texts), images


def _text_tokens(value: Any) -> int:
    if isinstance(value, str):
        return len(value) // CHARS_PER_TOKEN
    if isinstance(value, list):
        return sum(len(v) for v in value if isinstance(v, str)) // CHARS_PER_TOKEN
    return 0


_TOOLS_CACHE: dict[tuple[str, ...], int] = {}
_TOOLS_CACHE_MAX = 64


def _tools_chars(tools: list[Any]) -> int:
    """Approximate size of the tool schemas without serialising them.

    A client sends the same tool list on every turn of an agent loop, so the size is
    cached by the tool names (an estimate either way; walking 25 schemas costs ~40 µs).
    """
    names = tuple(
        str(tool.get("function", tool).get("name", "")) if isinstance(tool, dict)
        and isinstance(tool.get("function", tool), dict) else "" for tool in tools
    )
    cached = _TOOLS_CACHE.get(names)
    if cached is not None:
        return cached
    total = _walk_tools(tools)
    if len(_TOOLS_CACHE) >= _TOOLS_CACHE_MAX:
        _TOOLS_CACHE.clear()
    _TOOLS_CACHE[names] = total
    return total


def _walk_tools(tools: list[Any]) -> int:
    total = 0
    for tool in tools:
        if not isinstance(tool, dict):
            continue
        function = tool.get("function", tool)
        if not isinstance(function, dict):
            continue
        total += len(str(function.get("name", ""))) + len(str(function.get("description", ""))) + 40
        params = function.get("parameters") or function.get("input_schema")
        props = params.get("properties") if isinstance(params, dict) else None
        if isinstance(props, dict):
            for name, spec in props.items():
                total += len(name) + 30
                if isinstance(spec, dict):
                    description = spec.get("description")
                    if isinstance(description, str):
                        total += len(description)
    return total


def _files_in(text: str) -> set[str]:
    found: set[str] = set()
    _scan_files(text, found, cline=True)
    return found


def _is_cline_text(text: str) -> bool:
    """A Cline tag in the first 300 characters (the tag must end within them)."""
    return _CLINE_TAG.search(text, 0, 300) is not None


def _find_fence(text: str, start: int = 0) -> int:
    """``text.find("```", start)``, faster on prose.

    A one-character ``str.find`` runs at memchr speed; a three-character one crawls
    through ordinary text because its skip filter cannot tell a space from a
    backtick. So look for single backticks and check each for a fence: the same
    answer, several times faster on a 10 KB file without fences.
    """
    while True:
        index = text.find("`", start)
        if index < 0 or text.startswith("```", index):
            return index
        start = index + 1


def _scan_files(text: str, found: set[str], *, cline: bool) -> int:
    """Add paths of files whose content is in ``text`` to ``found``; return the number of fences.

    Found at code fences (Continue's ```lang path``` info strings, aider's path line
    before a fence) and, for Cline, at ``<file_content path="...">`` tags, using only
    ``str.find`` so a 100 KB prompt costs tens of microseconds.
    """
    fences = 0
    start = 0
    opening = True
    while True:
        index = _find_fence(text, start)
        if index < 0:
            break
        fences += 1
        line_end = text.find("\n", index + 3)
        if line_end < 0:
            line_end = len(text)
        if opening:
            path = _path_from_info(text[index + 3:line_end])
            if not path and index > 1:
                line_start = text.rfind("\n", 0, index - 1) + 1
                previous = text[line_start:index].strip()
                if previous and len(previous) < 200 and " " not in previous and _is_path(previous):
                    path = previous
            if path:
                found.add(path)
        opening = not opening
        start = line_end
    if cline:
        start = 0
        while True:
            index = text.find('<file_content path="', start)
            if index < 0:
                break
            begin = index + 20
            end = text.find('"', begin)
            if end < 0:
                break
            found.add(text[begin:end])
            start = end
    return fences


def _path_from_info(info: str) -> str | None:
    """The file path in a fence info string: ``python src/app.py (1-20)`` or ``src/app.py``."""
    info = info.strip()
    if not info:
        return None
    for token in info.split(None, 3)[:3]:
        if _is_path(token):
            return token
    return None


def _is_path(token: str) -> bool:
    token = token.strip("`'\":,()")
    if len(token) < 3 or len(token) > 200:
        return False
    match = _PATH_TOKEN.fullmatch(token)
    if not match:
        return False
    # "1.5" or "v2.0" are versions, not files.
    extension = token.rsplit(".", 1)[-1]
    return not extension.isdigit()


def _add_tool_call_paths(call: Any, found: set[str]) -> None:
    """Add the file path(s) a tool call's arguments name to ``found``."""
    if not isinstance(call, dict):
        return
    function = call.get("function")
    if not isinstance(function, dict):
        return
    arguments = function.get("arguments")
    if isinstance(arguments, dict):
        path = arguments.get("path") or arguments.get("file_path") or arguments.get("filePath")
        if isinstance(path, str) and path:
            found.add(path)
        return
    if not isinstance(arguments, str) or 'ath"' not in arguments:  # every key below ends in 'ath"'
        return
    for key in _PATH_KEYS:
        index = arguments.find(key)
        if index < 0:
            continue
        begin = arguments.find('"', arguments.find(":", index + len(key)) + 1)
        end = arguments.find('"', begin + 1)
        if begin >= 0 and end > begin:
            found.add(arguments[begin + 1:end])


def _count_rules(system_text: str) -> int:
    """Rule-like lines the *user* added to the system prompt (see :func:`_user_rules`)."""
    return _user_rules(system_text)[0]


def _user_rules(system_text: str) -> tuple[int, str]:
    """(rule-like lines the *user* added to the system prompt, the text of their section).

    Each client's own system prompt is full of numbered steps and "Always/Never"
    lines (Cline's RULES section, aider's edit-format steps, Continue's
    <important_rules>); those are the same on every request and say nothing about the
    task. Only what follows the client's part counts; for unknown clients (a plain
    SDK script) the whole system prompt is the user's.
    """
    if not system_text:
        return 0, ""
    for marker in USER_RULES_AFTER:
        index = system_text.rfind(marker)
        if index >= 0:
            system_text = system_text[index + len(marker):]
            break
    else:
        if system_text.startswith(CLIENT_ONLY_SYSTEM):
            return 0, ""
    # Only the tail is searched: user rules come last, and it bounds the cost on 50 KB
    # agent prompts. Inside it, counting starts at the last rules heading.
    tail = system_text[-RULES_SCAN_CHARS:]
    start = -1
    for marker in RULE_SECTION_MARKERS:
        index = tail.rfind(marker)
        if index > start:
            start = index
    section = tail[start:] if start >= 0 else tail
    return len(_RULE_LINE.findall("\n" + section)), section


def _in_plan_mode(last_user: str) -> bool:
    """Cline's environment details end with "# Current Mode" and PLAN MODE or ACT MODE."""
    index = last_user.rfind("# Current Mode")
    return index >= 0 and "PLAN MODE" in last_user[index:index + 40]


#: Words in a tool's name that say it changes something (files, the shell) rather than reads.
_WRITE_TOOL_WORDS = ("write", "edit", "replace", "create", "command", "shell", "bash", "exec", "run",
                     "apply", "delete", "move", "patch", "insert")
_WRITE_TOOLS_CACHE: dict[tuple[str, ...], int] = {}


def _write_tool_count(tools: list[Any]) -> int:
    """Tools offered that change files or run commands (cached by the tool names, like their size)."""
    names = tuple(
        str(tool.get("function", tool).get("name", "")) if isinstance(tool, dict)
        and isinstance(tool.get("function", tool), dict) else "" for tool in tools
    )
    cached = _WRITE_TOOLS_CACHE.get(names)
    if cached is None:
        cached = sum(1 for name in names if any(word in name.lower() for word in _WRITE_TOOL_WORDS))
        if len(_WRITE_TOOLS_CACHE) >= _TOOLS_CACHE_MAX:
            _WRITE_TOOLS_CACHE.clear()
        _WRITE_TOOLS_CACHE[names] = cached
    return cached


def _is_tool_result_text(text: str) -> bool:
    """Cline's XML-tools mode sends tool results as user text: "[read_file for 'a.py'] Result:"."""
    return text.startswith("[") and "] Result:" in text[:300]


# --- terms: what the user asked, as hashed n-grams ------------------------------------------------

#: Hash space of the terms: 2^24 buckets, so a request's ~100 terms rarely collide with one of the
#: few thousand the model keeps (which would show a wrong word among the reasons).
TERM_BUCKETS = 1 << 24
_TERM_MASK = TERM_BUCKETS - 1
#: Characters of the instruction read for terms (head and tail) and of the user's rules.
_TERM_HEAD = 1000
_TERM_TAIL = 500
_RULES_TERM_CHARS = 2000
#: Words of the instruction turned into word n-grams, and words (4+ letters) into character 4-grams.
_TERM_WORDS = 160
_CHAR_GRAM_WORDS = 60
_TERM_WORD = re.compile(r"[a-z0-9_$#+]+")
_TERM_WORD_BYTES = re.compile(rb"[a-z0-9_$#+]+")
_CRC_W, _CRC_B, _CRC_F, _CRC_R = (zlib.crc32(prefix) for prefix in (b"w:", b"b:", b"f:", b"r:"))
#: Function words that get no word term of their own (they still take part in word pairs and
#: opening words): alone they say only how long an ask is, and a model fitted on one hand's
#: templates learns "the", "and", "you" as signals of whichever label wrote longer asks.
_STOP_WORDS = frozenset((
    "a", "an", "the", "and", "or", "but", "of", "to", "in", "on", "at", "for", "with", "from", "by", "as", "into",
    "is", "are", "was", "were", "be", "been", "it", "its", "this", "that", "these", "those", "i", "you", "we",
    "me", "my", "your", "our", "us", "can", "could", "would", "will", "do", "does", "did", "have", "has", "had",
    "so", "if", "then", "than", "there", "here", "some", "any", "just", "also", "too", "very", "own", "out", "up",
))
_STOP_WORD_BYTES = frozenset(word.encode() for word in _STOP_WORDS)
#: Words at the start of the instruction that also count as "opening" terms.
_OPENING_WORDS = 3
#: Character 4-grams of longer words: off. Leave-one-source-out evaluation (scripts/eval_router.py)
#: scored them worse: they memorise one source's identifiers and code words instead of the task.
_CHAR_GRAMS = False
#: A rule line: a bullet, a numbered item or an "Always/Never ..." sentence, up to its end.
_RULE_LINE_TEXT = re.compile(
    r"\n[ \t]*(?:[-*•]|\d{1,3}[.)]|(?=(?:Always|Never|Do not|Don't|You must|Must)\b))[ \t]*(\S[^\n]*)")


def term_hash(term: str) -> int:
    """A stable bucket for a term string (the same in every process; Python's hash() is not)."""
    return zlib.crc32(term.encode()) & _TERM_MASK


def term_strings(instruction: str, rules_text: str = "") -> set[str]:
    """The n-grams the scorer reads: words ("w:"), word pairs ("b:") and the opening words ("f:")
    of the instruction, and words of the user's rule lines ("r:"); character 4-grams of longer
    words ("c:") when ``_CHAR_GRAMS`` is on. Bounded: long texts are cut to their head and tail."""
    out: set[str] = set()
    if instruction:
        text = instruction.lower()
        if len(text) > _TERM_HEAD + _TERM_TAIL:
            text = text[:_TERM_HEAD] + " " + text[-_TERM_TAIL:]
        words = [w for w in _TERM_WORD.findall(text) if len(w) > 1][:_TERM_WORDS]
        if words:
            out.update(["w:" + w for w in words if w not in _STOP_WORDS])
            # How the ask opens says most about the task ("explain", "write tests", "fix", "what").
            out.update(["f:" + w for w in words[:_OPENING_WORDS]])
            out.update(["b:" + a + " " + b for a, b in itertools.pairwise(words)])
            seen = 0 if _CHAR_GRAMS else _CHAR_GRAM_WORDS
            for word in dict.fromkeys(words):
                if seen >= _CHAR_GRAM_WORDS:
                    break
                if len(word) < 4 or word.isdigit():
                    continue
                padded = "<" + word + ">"
                out.update(["c:" + padded[i:i + 4] for i in range(len(padded) - 3)])
                seen += 1
                if seen >= _CHAR_GRAM_WORDS:
                    break
    if rules_text:
        # Only the rule lines themselves: a one-line "You are a helpful assistant" says nothing
        # about the task, and every client or script words it differently.
        lines = "\n".join(_RULE_LINE_TEXT.findall("\n" + rules_text[-_RULES_TERM_CHARS:]))
        out.update(["r:" + w for w in _TERM_WORD.findall(lines.lower()) if len(w) > 1])
    return out


#: A name-like token: CamelCase or internal capitals ("SwiftData", "useTask$"), a capitalised word
#: (checked not to start a sentence), a word with a sigil or a dotted suffix ("$state", "alpine.js").
_NAME_TOKEN = re.compile(r"[A-Za-z][A-Za-z0-9]*(?:[.$][A-Za-z0-9$]*)?")
_NAMES_CHARS = 1200
_FILE_SUFFIXES = frozenset(
    ["py", "pyi", "ts", "tsx", "js", "jsx", "mjs", "rs", "go", "java", "kt", "rb", "php", "cs", "c", "h", "cpp", "hpp", "swift", "json", "yaml", "yml", "toml", "md", "txt", "sh", "sql", "html", "css", "scss", "vue", "svelte", "lock", "cfg", "ini", "env", "xml", "csv", "log", "png", "jpg", "jpeg", "gif", "svg", "pdf", "zip", "gz", "tar", "conf", "proto", "graphql"])


def name_strings(instruction: str, context: str = "") -> list[str]:
    """The names :func:`instruction_names` hashes, lower-cased ("n:leptos"); for training and tests.

    ``context``: the whole message the instruction came from; a name that also occurs in its
    attached code is the user's own identifier and is left out.
    """
    out: list[str] = []
    text = instruction[:_NAMES_CHARS]
    for match in _NAME_TOKEN.finditer(text):
        token = match.group().rstrip(".")
        start = match.start()
        if len(token) < 3:
            continue
        if not text[match.end():match.end() + 1].isascii() or (start and not text[start - 1].isascii()):
            continue  # part of a word with non-ASCII letters ("Deberíamos"): a word, not a library
        inner_caps = any(c.isupper() for c in token[1:])
        if "." in token and (token.rsplit(".", 1)[1].lower() in _FILE_SUFFIXES or text[start - 1:start] in "/\\"):
            continue  # a file name or path ("app.py", "src/x.ts"), not a library
        sigil = "$" in token or "." in token
        capital = token[0].isupper()
        if not (inner_caps or sigil or capital) or token.isupper():  # SQL, API, JSON: acronyms
            continue
        base = token.split(".", 1)[0].rstrip("$")
        if context and len(base) >= 3 and context.count(base) > text.count(base):
            continue  # also in the attached code: the user's own identifier, not a framework
        if capital and not inner_caps and not sigil:
            # A capital that only starts a sentence (or the text) is not a name.
            before = text[:start].rstrip(" \t\"'(`*")
            if not before or before[-1] in ".!?:\n":
                continue
        out.append("n:" + token.lower())
    return out


def instruction_names(instruction: str, context: str = "") -> tuple[int, ...]:
    """Hashes of :func:`name_strings` (sorted, distinct)."""
    if not instruction:
        return ()
    return tuple(sorted({term_hash(name) for name in name_strings(instruction, context)}))


def instruction_terms(instruction: str, rules_text: str = "") -> tuple[int, ...]:
    """:func:`term_strings` hashed (:func:`term_hash`) and sorted: what :class:`Features` carries.

    The same hashes as ``{term_hash(t) for t in term_strings(...)}`` (a test holds them equal),
    computed on bytes with CRC continuation (``crc32(word, crc32(b"w:"))`` is the CRC of
    ``b"w:" + word``) so no term string is built: this runs on every routed request.
    """
    if not instruction and not rules_text:
        return ()
    if _CHAR_GRAMS:
        return tuple(sorted({term_hash(term) for term in term_strings(instruction, rules_text)}))
    crc = zlib.crc32
    out: set[int] = set()
    add = out.add
    if instruction:
        text = instruction.lower()
        if len(text) > _TERM_HEAD + _TERM_TAIL:
            text = text[:_TERM_HEAD] + " " + text[-_TERM_TAIL:]
        words = [w for w in _TERM_WORD_BYTES.findall(text.encode()) if len(w) > 1][:_TERM_WORDS]
        previous = b""
        stop = _STOP_WORD_BYTES
        for index, word in enumerate(words):
            if word not in stop:
                add(crc(word, _CRC_W))
            if index < _OPENING_WORDS:
                add(crc(word, _CRC_F))
            if index:
                add(crc(previous + b" " + word, _CRC_B))
            previous = word
    if rules_text:
        lines = "\n".join(_RULE_LINE_TEXT.findall("\n" + rules_text[-_RULES_TERM_CHARS:]))
        for word in _TERM_WORD_BYTES.findall(lines.lower().encode()):
            if len(word) > 1:
                add(crc(word, _CRC_R))
    mask = _TERM_MASK
    return tuple(sorted({h & mask for h in out}))


def _looks_like_edit(system_text: str, last_user: str) -> bool:
    head = (system_text[:3000] + "\n" + last_user[:1000] + "\n" + last_user[-2500:]).lower()
    if any(marker in head for marker in NOT_EDIT_MARKERS):
        return False
    return any(marker in head for marker in EDIT_MARKERS)


def _instruction_text(text: str) -> str:
    """The user's own words: fenced code, file tags and environment details removed, length capped."""
    if not text:
        return ""
    for start_marker, end_marker in REQUEST_TEMPLATES:
        index = text.find(start_marker)
        if index >= 0:
            begin = index + len(start_marker)
            end = text.find(end_marker, begin)
            return text[begin:end if end > 0 else begin + _INSTRUCTION_TAIL][:_INSTRUCTION_TAIL]
    if APPLY_MARKER in text:
        return ""  # an apply carries no instruction of its own
    for marker in CLIENT_BOILERPLATE:
        index = text.find(marker)
        if index >= 0:
            text = text[:index]
    task_start = text.find("<task>")
    if task_start >= 0:
        task_end = text.find("</task>", task_start)
        text = text[task_start + 6:task_end if task_end > 0 else None]
    else:
        env = text.find("<environment_details>")
        if env >= 0:
            text = text[:env]
    pieces: list[str] = []
    start = 0
    while True:
        index = _find_fence(text, start)
        if index < 0:
            pieces.append(text[start:])
            break
        pieces.append(text[start:index])
        close = _find_fence(text, index + 3)
        if close < 0:
            break
        start = close + 3
    stripped = "".join(pieces)
    if '<file_content path="' in stripped:
        kept: list[str] = []
        start = 0
        while True:
            index = stripped.find("<file_content", start)
            if index < 0:
                kept.append(stripped[start:])
                break
            kept.append(stripped[start:index])
            close = stripped.find("</file_content>", index)
            if close < 0:
                break
            start = close + 15
        stripped = "".join(kept)
    if len(stripped) > _INSTRUCTION_HEAD + _INSTRUCTION_TAIL:
        stripped = stripped[:_INSTRUCTION_HEAD] + "\n" + stripped[-_INSTRUCTION_TAIL:]
    return stripped


def _word_signals(instruction: str) -> dict[str, Any]:
    """The word-signal fields of :class:`Features` (keyword arguments for it)."""
    if not instruction:
        return _EMPTY_WORDS
    lowered = instruction.lower()
    tokens = _WORD.findall(lowered)
    counts, intent = _signal_counts(lowered, tokens, _LEXICON, 4 + len(ASK_CLASSES), hashed=4)
    local, cloud, ambiguous, niche = counts[:4]
    ask = 0
    for index, count in enumerate(counts[4:]):
        if count:
            ask |= 1 << index
    question = "?" in instruction or "？" in instruction
    if question and " or " in lowered:
        ask |= ASK_CHOICE_BIT
    return {
        "ask": ask,
        "requirements": len(_RULE_LINE.findall("\n" + instruction)) if "\n" in instruction else 0,
        "local_words": local,
        "cloud_words": cloud,
        "ambiguous_words": ambiguous,
        "niche_words": niche,
        "instruction_words": len(tokens),
        "clauses": instruction.count(",") + instruction.count(";"),
        "identifiers": _count_identifiers(instruction),
        "question": 1 if question else 0,
        "versions": len(_VERSION.findall(instruction)),
        "intent": intent,
    }


class _Lexicon(NamedTuple):
    """All word lists in one structure, so the instruction's words are looked up once."""

    #: (phrase, signal index): matched as substrings
    phrases: tuple[tuple[str, int], ...]
    #: whole word -> signal indexes
    words: dict[str, tuple[int, ...]]
    #: stem -> signal indexes, and the stem lengths to try
    stems: dict[str, tuple[int, ...]]
    stem_sizes: tuple[int, ...]
    #: The stems cut to the shortest stem length: a word whose start is not among
    #: them cannot match any stem, so most words are settled with one lookup.
    stem_heads: frozenset[str]


def _lexicon(*vocabularies: Iterable[str]) -> _Lexicon:
    """Phrases match as substrings, plain words whole, "stem*" as word prefixes."""
    phrases: list[tuple[str, int]] = []
    words: dict[str, list[int]] = {}
    stems: dict[str, list[int]] = {}
    for index, entries in enumerate(vocabularies):
        for entry in entries:
            if not entry.rstrip("*").replace("-", "").isalnum():
                phrases.append((entry, index))
            elif entry.endswith("*"):
                stems.setdefault(entry[:-1], []).append(index)
            else:
                words.setdefault(entry, []).append(index)
    sizes = tuple(sorted({len(k) for k in stems}))
    return _Lexicon(
        tuple(phrases),
        {k: tuple(v) for k, v in words.items()},
        {k: tuple(v) for k, v in stems.items()},
        sizes,
        frozenset(k[:sizes[0]] for k in stems),
    )


def _signal_counts(text: str, tokens: list[str], lexicon: _Lexicon, size: int,
                   hashed: int | None = None) -> tuple[list[int], int]:
    """Distinct entries of each vocabulary found in ``text`` (lowercased), and the intent hash of
    those of the first ``hashed`` vocabularies (all when None)."""
    found = {entry for entry in lexicon.phrases if entry[0] in text}
    words, stems, sizes, heads = lexicon.words, lexicon.stems, lexicon.stem_sizes, lexicon.stem_heads
    shortest = sizes[0] if sizes else 0
    for token in set(tokens):
        word = token.strip("'.+#-")
        hit = words.get(word)
        if hit:
            found.update((word, index) for index in hit)
        if word[:shortest] not in heads:
            continue
        for length in sizes:
            if len(word) < length:
                break
            hit = stems.get(word[:length])
            if hit:
                found.update((word[:length], index) for index in hit)
    counts = [0] * size
    for _, index in found:
        counts[index] += 1
    limit = size if hashed is None else hashed
    hashed_entries = sorted(entry for entry, index in found if index < limit)
    intent = zlib.crc32("|".join(hashed_entries).encode()) & 0xFFFFF if hashed_entries else 0
    return counts, intent


_IDENTIFIER_CANDIDATE = re.compile(r"\S*[_(/.A-Z]\S*")


def _count_identifiers(instruction: str) -> int:
    """Concrete referents: `code`, name(), snake_case, camelCase, file.ext, /api/paths."""
    count = instruction.count("`") // 2
    # Only whitespace-separated tokens holding one of _ ( / . or a capital can count
    # below, so the regex hands over just those (the same tokens split() would give).
    for token in _IDENTIFIER_CANDIDATE.findall(instruction):
        token = token.strip("'\"“”,;:!?()[]{}")
        if len(token) < 3 or "`" in token or (token.isalpha() and token.islower()):
            continue  # (a plain lower-case word is none of the shapes below)
        if (
            "_" in token
            or "(" in token
            or "/" in token[1:-1]
            or (not token.islower() and not token.isupper() and any(c.isupper() for c in token[1:]))
            or ("." in token[1:-1] and token.rsplit(".", 1)[1].isalpha() and token.rsplit(".", 1)[0].isidentifier())
        ):
            count += 1
    return count


def _override_word(content: Any) -> str | None:
    text = _first_text(content)
    if not text or "@" not in text[:40]:
        return None
    match = _OVERRIDE.match(text)
    return match.group(2).lower() if match else None


def _first_text(content: Any) -> str | None:
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        for part in content:
            if isinstance(part, Mapping) and part.get("type") == "text" and isinstance(part.get("text"), str):
                return str(part["text"])
    return None


def override_pattern() -> re.Pattern[str]:
    """The compiled ``@cloud`` / ``@local`` prefix pattern (shared with override.py)."""
    return _OVERRIDE


_LEXICON = _lexicon(LOCAL_INTENT, CLOUD_INTENT, AMBIGUOUS, NICHE_TERMS, *(words for _, words in ASK_CLASSES))
_EMPTY_WORDS: dict[str, Any] = dict.fromkeys(
    ("requirements", "local_words", "cloud_words", "ambiguous_words", "niche_words", "instruction_words",
     "clauses", "identifiers", "versions", "intent", "question", "ask"), 0)
