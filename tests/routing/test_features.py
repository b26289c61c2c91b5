"""Features read from request bodies exactly as Continue, Cline and aider send them."""

from __future__ import annotations

import json

import pytest

from hybridcoder.routing.features import Features, extract_features
from tests.routing import bodies


def test_continue_autocomplete_is_autocomplete() -> None:
    body = bodies.continue_autocomplete("def add(a, b):\n    ", "\n\nprint(add(1, 2))")
    features = extract_features(body, "/v1/completions")
    assert features.kind == "autocomplete"
    assert features.prompt_tokens > 0


def test_ollama_generate_with_suffix_is_autocomplete_but_plain_generate_is_chat() -> None:
    fim = extract_features({"model": "q", "prompt": "def f(", "suffix": "):"}, "/api/generate")
    plain = extract_features({"model": "q", "prompt": "Explain what a closure is."}, "/api/generate")
    assert fim.kind == "autocomplete"
    assert plain.kind == "chat"


def test_embeddings_are_embed() -> None:
    assert extract_features({"input": ["a", "b"], "model": "nomic"}, "/v1/embeddings").kind == "embed"
    assert extract_features({"input": "a", "model": "nomic"}, "/api/embed").kind == "embed"


def test_tools_make_an_agent_request() -> None:
    features = extract_features(bodies.cline_act("Add a --verbose flag"), "/v1/chat/completions")
    assert features.kind == "agent"
    assert features.tools == len(bodies.CLINE_TOOLS)


def test_tool_history_without_tools_is_still_agent() -> None:
    body = bodies.cline_act("Fix the build", reads=["src/a.py"])
    del body["tools"]
    features = extract_features(body)
    assert features.kind == "agent"
    assert features.tool_messages == 2  # one call, one result


def test_files_counted_from_continue_fences() -> None:
    body = bodies.continue_chat(
        "How do these interact?",
        files={"src/app/models.py": "x = 1", "src/app/views.py": "y = 2", "src/app/urls.py": "z = 3"},
    )
    assert extract_features(body).files == 3


def test_same_file_twice_counts_once() -> None:
    body = bodies.continue_chat("Explain", files={"src/a.py": "x = 1"})
    body["messages"][-1]["content"] += "\n```python src/a.py (12-20)\nx = 1\n```\n"
    assert extract_features(body).files == 1


def test_files_counted_from_cline_tool_calls_and_file_content_tags() -> None:
    body = bodies.cline_act("Refactor", reads=["src/a.ts", "src/b.ts"])
    body["messages"][1]["content"][0]["text"] += '\n<file_content path="src/c.ts">\nlet c = 1\n</file_content>'
    assert extract_features(body).files == 3


def test_files_counted_from_aider_listing() -> None:
    body = bodies.aider_diff("Rename foo to bar everywhere", {"lib/foo.py": "def foo(): ...", "lib/util.py": "u=1"})
    features = extract_features(body)
    assert features.files == 2
    assert features.kind == "edit"


def test_code_without_a_path_is_not_a_file() -> None:
    body = {"messages": [{"role": "user", "content": "What does this do?\n```python\nprint(1.5)\n```"}]}
    assert extract_features(body).files == 0


def test_rules_counted_in_the_users_rules_section_only() -> None:
    rules = [f"Rule number {i}: do the thing" for i in range(22)]
    with_rules = extract_features(bodies.cline_act("Add a flag", rules=rules))
    without = extract_features(bodies.cline_act("Add a flag"))
    assert with_rules.rules == 22
    assert without.rules <= 3  # Cline's own three bullets, not the user's


def test_numbered_and_imperative_rules_count() -> None:
    system = "Project rules:\n1. Use tabs.\n2) No globals.\nAlways write tests.\nNever use eval.\nPlain prose here."
    body = {"messages": [{"role": "system", "content": system}, {"role": "user", "content": "hi"}]}
    assert extract_features(body).rules == 4


def test_conversation_depth() -> None:
    body = bodies.continue_chat("And now?", history=[("q1", "a1"), ("q2", "a2"), ("q3", "a3")])
    features = extract_features(body)
    assert features.turns == 4
    assert features.messages == 8


def test_token_estimate_grows_with_the_prompt() -> None:
    small = extract_features(bodies.continue_chat("Explain", files={"a.py": "x = 1"}))
    large = extract_features(bodies.continue_chat("Explain", files={"a.py": "x = 1\n" * 20000}))
    assert small.prompt_tokens < 100
    assert 25000 < large.prompt_tokens < 35000  # 120,000 characters ~ 30,000 tokens


def test_tool_schemas_count_towards_the_prompt() -> None:
    with_tools = extract_features(bodies.cline_act("x"))
    body = bodies.cline_act("x")
    del body["tools"]
    assert with_tools.prompt_tokens > extract_features(body).prompt_tokens


def test_word_signals_come_from_the_instruction_not_the_code() -> None:
    code = "# architecture security race condition migrate\n" * 50
    body = bodies.continue_chat("Write a docstring for this function.", files={"src/a.py": code})
    features = extract_features(body)
    assert features.cloud_words == 0
    assert features.local_words >= 1


def test_niche_framework_is_noticed() -> None:
    body = bodies.continue_chat("Port this component to Svelte 5 runes with $derived state.")
    assert extract_features(body).niche_words >= 2


def test_override_detected_in_string_and_parts() -> None:
    body = bodies.continue_chat("@cloud why is this slow?")
    assert extract_features(body).override == "cloud"
    cline = bodies.cline_act("@local add a flag")
    assert extract_features(cline).override == "local"


def test_images_counted() -> None:
    body = {"messages": [{"role": "user", "content": [
        {"type": "text", "text": "What is wrong in this screenshot?"},
        {"type": "image_url", "image_url": {"url": "data:image/png;base64,AAAA"}},
    ]}]}
    assert extract_features(body).images == 1


@pytest.mark.parametrize("body", [
    {}, {"messages": None}, {"messages": "hi"}, {"messages": [None, 3, "x", {"role": "user"}]},
    {"messages": [{"role": "user", "content": [None, {"type": "text", "text": 5}]}]},
    {"messages": [{"role": "assistant", "tool_calls": [None, {"function": "x"}, {"function": {"arguments": 5}}]}]},
    {"tools": "all", "messages": []}, {"prompt": None}, {"prompt": 5, "suffix": []},
])
def test_odd_bodies_never_raise(body: dict[str, object]) -> None:
    for endpoint in ("/v1/chat/completions", "/v1/completions", "/api/chat", "/api/generate", "/v1/embeddings"):
        assert isinstance(extract_features(body, endpoint), Features)


def test_numbers_round_trip_without_text() -> None:
    features = extract_features(bodies.cline_act("Add a flag", reads=["a.py", "b.py", "c.py"]))
    numbers = features.numbers()
    assert all(isinstance(v, float) for v in numbers.values())
    assert json.dumps(numbers)  # ledger-safe
    rebuilt = Features.from_numbers(numbers)
    assert rebuilt.kind == features.kind
    assert rebuilt.files == features.files == 3


def test_plan_mode_write_tools_and_a_pending_tool_result_are_read() -> None:
    act = extract_features(bodies.cline_act("Fix it", reads=["src/a.py"]))
    assert act.write_tools >= 2 and act.pending_tool_result == 1 and act.plan_mode == 0
    first = extract_features(bodies.cline_act("Fix it"))
    assert first.pending_tool_result == 0 and first.tool_messages == 0
    body = bodies.cline_act("What does main do?")
    body["messages"][1]["content"][1]["text"] += "\n# Current Mode\nPLAN MODE"
    assert extract_features(body).plan_mode == 1


def test_terms_are_hashes_of_the_users_words_and_never_recorded() -> None:
    from hybridcoder.routing.features import request_terms, term_hash

    body = bodies.continue_chat("Explain what slugify returns", files={"src/a.py": "def slugify(t): return t"})
    features = extract_features(body)
    strings = request_terms(body)
    assert "w:slugify" in strings and "b:explain what" in strings and "f:explain" in strings
    assert not any("return t" in s for s in strings)  # the attached code is not the instruction
    assert set(features.terms) == {term_hash(s) for s in strings}
    assert "terms" not in features.numbers()
    assert Features.from_numbers(features.numbers()).terms == ()


@pytest.mark.parametrize("instruction, rules", [
    ("Was macht diese Funktion? ¿Qué hace? 这个函数是做什么的", ""),
    ("fix it " * 400, "- Always use tabs\n2. Never print\nplain prose is not a rule"),
    ("x", ""),
])
def test_the_fast_term_hashes_equal_the_hashes_of_the_term_strings(instruction: str, rules: str) -> None:
    from hybridcoder.routing.features import instruction_terms, term_hash, term_strings

    assert set(instruction_terms(instruction, rules)) == {term_hash(t) for t in term_strings(instruction, rules)}
