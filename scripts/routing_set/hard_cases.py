"""Hand-written hard cases for the second source: requests whose surface misleads.

- a big file (that still fits the local window) with a question about one function: local;
- tools offered for an ask one reply answers (Continue agent mode, an SDK script that always
  passes tools, Cline plan mode's prose answers): judged by the ask, not by the tools;
- scary words ("race", "security", "distributed", "performance") in an easy ask: local;
- short asks that are really design work: cloud;
- real tool loops under way (tool calls and results in the conversation): cloud.

Each case is written by hand in the client's real shape (via clients.py's builders), with the
reason for its label.
"""

from __future__ import annotations

from typing import Any

from routing_set import clients
from routing_set.second_pool import GROUPS, SNIPPETS, big_module

CHAT = "/v1/chat/completions"


def _snip(path: str) -> tuple[str, str, str]:
    language, code = SNIPPETS[path]
    return path, language, code


def _case(group: str, category: str, label: str, client: str, shape: str, body: dict[str, Any],
          reason: str) -> dict[str, Any]:
    return {"group": group, "category": category, "label": label, "client": client, "shape": shape,
            "body": body, "endpoint": CHAT, "reason": reason}


BIG_ONE_FUNCTION = "one function asked about in a big file that still fits the local window"


def build() -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    add = out.append

    # A. A big file (36-50k characters, ~9-12k tokens: fits a 16k window) with a one-function question.
    big_cases = [
        ("hb01", "explain", "What does load_invoice_0 do?", "continue-chat"),
        ("hb02", "explain", "In plain words: what's the difference between the first two functions?", "aider-ask"),
        ("hb03", "docs", "Add a docstring to score_sensor_3 only, leave the rest alone.", "continue-chat"),
        ("hb04", "tests", "Write one pytest for render_ticket_2.", "openai-sdk"),
        ("hb05", "refactor", "Rename the `limit` parameter of the first function to `max_items`.", "continue-edit-section"),
        ("hb06", "explain", "why is there a math.sqrt in the first helper", "continue-chat"),
        ("hb07", "explain", "Was macht die erste Funktion in dieser Datei?", "aider-ask"),
        ("hb08", "refactor", "Turn the magic number in the first function into a named constant.", "continue-edit-section"),
    ]
    for index, (group, category, text, shape) in enumerate(big_cases):
        path, language, code = big_module(200 + index, 36_000 + 2_000 * index)
        if shape == "continue-chat":
            body = clients.continue_chat(text, [(path, language, code)], highlighted=index % 2 == 0)
        elif shape == "aider-ask":
            body = clients.aider(text, [(path, language, code)], fmt="ask")
        elif shape == "openai-sdk":
            body = clients.openai_sdk(text, [(path, language, code)])
        else:
            body = clients.continue_edit(text, path, language, code, variant="section")
        add(_case(group, category, "local", shape.split("-")[0].replace("openai", "openai-sdk"), shape, body,
                  BIG_ONE_FUNCTION))

    # B. Cline plan mode: prose questions answered in one plan_mode_respond.
    plan = [
        ("hp01", "explain", "How does Allow decide whether to let a request through?", "internal/ratelimit/window.go"),
        ("hp02", "explain", "What does human_size print for exactly 1024 bytes?", "src/units.rs"),
        ("hp03", "explain", "Explain the divmod trick in format.", "lib/price_formatter.rb"),
        ("hp04", "explain", "Is InvoiceNumber.next safe to call from several threads?", "app/src/main/java/com/shop/InvoiceNumber.java"),
        ("hp05", "docs", "Draft a short README section describing what backup.sh does and its arguments.", "scripts/backup.sh"),
        ("hp06", "explain", "What's the difference between groupBy and countBy here?", "src/utils/groupBy.ts"),
    ]
    for group, category, text, path in plan:
        body = clients.cline(text, mode="plan", mentions=[(path, SNIPPETS[path][1])])
        add(_case(group, category, "local", "cline", "cline-plan", body,
                  "Cline plan mode: a prose answer about the file mentioned, one reply, no edits"))
    for group, text in (("hp07", "What's the difference between a Mutex and an RWMutex in Go, in two sentences?"),
                        ("hp08", "Quick question: when should I use a Kotlin data class vs a normal class?")):
        add(_case(group, "explain", "local", "cline", "cline-plan", clients.cline(text, mode="plan"),
                  "Cline plan mode: a general question answered in prose"))

    # C. Tools offered, one-step answer.
    one_step = [
        ("ht01", "explain", "What does the regex in format do?", "lib/price_formatter.rb", "continue-agent"),
        ("ht02", "docs", "Write a JSDoc block for groupBy.", "src/utils/groupBy.ts", "continue-agent"),
        ("ht03", "tests", "Give me an xUnit test for Describe with one case per branch.", "Services/TemperatureConverter.cs", "continue-agent"),
        ("ht04", "explain", "Does retry wait before the first attempt?", "src/lib/retry.js", "continue-agent"),
        ("ht05", "script", "Write a one-off Python script that prints the 20 most common words in a text file.", None, "openai-sdk-tools"),
        ("ht06", "explain", "What does `set -euo pipefail` change in this script?", "scripts/backup.sh", "openai-sdk-tools"),
        ("ht07", "boilerplate", "Create a .dockerignore for a Node project.", None, "continue-agent"),
    ]
    for group, category, text, path, shape in one_step:
        files = [_snip(path)] if path else []
        if shape == "continue-agent":
            body = clients.continue_agent(text, files)
            client = "continue"
        else:
            body = clients.openai_sdk(text, files, system="You can use tools if needed.", tools=clients.SDK_TOOLS)
            client = "openai-sdk"
        add(_case(group, category, "local", client, shape, body,
                  "tools are offered, but the code is in context and one reply answers the ask"))
    for group, text, path in (
        ("ht08", "What does NoteRepository.pinned return when nothing is pinned?", "app/src/main/kotlin/com/notes/NoteRepository.kt"),
        ("ht09", "Explain what the WHERE clause filters in this query.", "db/queries/monthly_revenue.sql"),
    ):
        body = clients.cline(text, mode="act", mentions=[(path, SNIPPETS[path][1])])
        add(_case(group, "explain", "local", "cline", "cline-act", body,
                  "act mode, but the file is attached and the answer is one attempt_completion"))

    # D. Scary words, easy ask.
    scary = [
        ("hs01", "explain", "Is there a race condition in Allow, or does the mutex cover it? Explain.", "internal/ratelimit/window.go"),
        ("hs02", "tests", "Write a unit test for the security check in subscribe (invalid email -> 422).", "src/Controller/NewsletterController.php"),
        ("hs03", "docs", "Add a doc comment to this distributed-systems retry helper.", "src/lib/retry.js"),
        ("hs04", "refactor", "Rename `limit` to `maxEvents` in this concurrency-sensitive type.", "internal/ratelimit/window.go"),
        ("hs05", "explain", "What does 'idempotent' mean for the invoice counter here? Short answer.", "app/src/main/java/com/shop/InvoiceNumber.java"),
        ("hs06", "refactor", "Add type annotations to this performance-critical pandas code.", "analysis/clean.py"),
        ("hs07", "explain", "Explain the architecture of this tiny module in two sentences.", "src/units.rs"),
        ("hs08", "tests", "Add an edge-case test: human_size(0) should be '0.0 B'.", "src/units.rs"),
    ]
    for index, (group, category, text, path) in enumerate(scary):
        if index % 3 == 0:
            body = clients.aider(text, [_snip(path)], fmt="diff" if category != "explain" else "ask")
            client, shape = "aider", "aider-diff" if category != "explain" else "aider-ask"
        else:
            body = clients.continue_chat(text, [_snip(path)])
            client, shape = "continue", "continue-chat"
        add(_case(group, category, "local", client, shape, body,
                  "alarming words, but a routine ask about the one file in context"))

    # E. Short asks that are really design work.
    design = [
        ("hd01", "Event sourcing or plain CRUD for the ledger?", None),
        ("hd02", "Should we split this into microservices?", "internal/ratelimit/window.go"),
        ("hd03", "How do we make this work across regions?", "db/queries/monthly_revenue.sql"),
        ("hd04", "RBAC or ABAC for our admin panel?", None),
        ("hd05", "Pick a queue for us.", None),
        ("hd06", "Monorepo or not?", None),
        ("hd07", "what's the right abstraction here", "src/lib/retry.js"),
    ]
    for index, (group, text, path) in enumerate(design):
        files = [_snip(path)] if path else []
        if index % 2:
            body, client, shape = clients.openai_sdk(text, files), "openai-sdk", "openai-sdk"
        else:
            body, client, shape = clients.continue_chat(text, files), "continue", "continue-chat"
        add(_case(group, "ambiguous", "cloud", client, shape, body,
                  "short, but a design decision with trade-offs the request does not settle"))

    # F. Tool loops under way.
    group_files = GROUPS[0] + GROUPS[1][:1]
    loops = [
        ("hl01", "Fix the overdraft race in the transfer service and add a test that proves it.", 3, "cline-act"),
        ("hl02", "Make the login flow survive a token refresh; update all callers.", 2, "continue-agent"),
        ("hl03", "Run the tests and fix whatever fails.", 1, "openai-sdk-tools"),
        ("hl04", "Add structured logging to every handler and check nothing else changes.", 4, "cline-act"),
    ]
    for group, text, depth, shape in loops:
        if shape == "cline-act":
            body = clients.cline(text, mode="act", reads=[(p, c) for p, _, c in group_files[:depth]])
            client = "cline"
        elif shape == "continue-agent":
            body = clients.continue_agent(text, [], tool_history=[p for p, _, _ in group_files[:depth]])
            client = "continue"
        else:
            body = clients.openai_sdk(text, [], system="You are an autonomous coding agent.", tools=clients.SDK_TOOLS,
                                      tool_rounds=depth)
            client = "openai-sdk"
        add(_case(group, "agent", "cloud", client, shape, body,
                  "a multi-step task with the tool loop under way (tool calls and results so far)"))

    # G. Really beyond the window, with a question about the whole file.
    for index, (group, text) in enumerate((("ho01", "Which of these helpers are copies of each other?"),
                                          ("ho02", "Summarise every function in this file in a table."))):
        path, language, code = big_module(300 + index, 90_000)
        add(_case(group, "overflow", "cloud", "continue", "continue-chat",
                  clients.continue_chat(text, [(path, language, code)]),
                  "about 23k tokens of file, beyond a 16k local window, and the question needs all of it"))
    return out
