"""The fourth source (tests/data/routing/third.jsonl): a third hand, written by engineer D' in issue 11.

Written after reading the misses of the other three sources, to cover what none of them had from
more than one hand, with its own code and wording (no template, snippet or phrase of the other
sources is reused):

- "implement" asks of both kinds: a stub whose doc comment is a clear, small spec (local, rule 9)
  and an implement ask whose spec lists many edge cases or needs a niche library (cloud, rules 6-7);
- framework names taken from the public PyPI / npm package lists: widely used ones (Flask,
  Express, pandas, ...) in routine boilerplate and scripts (local), and real but rarely used
  frameworks (a few thousand downloads a month or unranked, released 2025-2026: Tigrbl,
  Firenado, Dalila, ...) in asks that need their API (cloud, rule 6) — real names, none invented;
- questions with a "?" about code in context (local) and vague or design asks worded in ways
  the other sources do not use (cloud, rule 8);
- routine and open asks in German, Spanish, French, Portuguese and Italian, questions about code
  without the usual explain words, refactors with other verbs, config files with nothing attached,
  and tool-using tasks with nothing attached (the model has to go and look);
- every client shape (Continue chat / agent / edit, Cline plan / act, aider, OpenAI SDK).

Labels follow LABELLING.md's rules in order; each record says which rule decided it.
"""

from __future__ import annotations

from typing import Any

from routing_set import clients

CHAT = "/v1/chat/completions"

#: Small stubs with a doc comment that fully specifies them (path, language, code, function name).
STUBS: list[tuple[str, str, str, str]] = [
    ("tools/slug.py", "python", 'def slugify(title: str) -> str:\n    """Lower-case title, spaces and underscores become "-", other punctuation is dropped.\n\n    >>> slugify("Hello, World_2")\n    \'hello-world-2\'\n    """\n    raise NotImplementedError\n', "slugify"),
    ("src/chunk.ts", "typescript", "/**\n * Split items into arrays of at most `size` elements, in order.\n * chunk([1, 2, 3, 4, 5], 2) -> [[1, 2], [3, 4], [5]]\n */\nexport function chunk<T>(items: T[], size: number): T[][] {\n  // TODO\n  return [];\n}\n", "chunk"),
    ("src/roman.rs", "rust", "/// Converts 1..=3999 to a Roman numeral: `to_roman(1994) == \"MCMXCIV\"`.\npub fn to_roman(mut n: u32) -> String {\n    todo!()\n}\n", "to_roman"),
    ("pkg/mathx/clamp.go", "go", "package mathx\n\n// Clamp returns v limited to the range [lo, hi]. Clamp(12, 0, 10) == 10.\nfunc Clamp(v, lo, hi int) int {\n\tpanic(\"not implemented\")\n}\n", "Clamp"),
    ("lib/word_count.rb", "ruby", "# Counts words (runs of letters) case-insensitively.\n# word_count(\"Go go GO stop\") # => {\"go\"=>3, \"stop\"=>1}\ndef word_count(text)\n  # TODO\nend\n", "word_count"),
    ("src/main/java/util/Palindromes.java", "java", "package util;\n\npublic final class Palindromes {\n    /** True when s reads the same backwards, ignoring case: isPalindrome(\"Level\") is true. */\n    public static boolean isPalindrome(String s) {\n        throw new UnsupportedOperationException();\n    }\n}\n", "isPalindrome"),
    ("stats/median.py", "python", 'def median(values: list[float]) -> float:\n    """The middle value of the sorted list; the mean of the two middle ones for even lengths.\n\n    >>> median([3, 1, 2])\n    2\n    >>> median([4, 1, 2, 3])\n    2.5\n    """\n    ...\n', "median"),
    ("src/utils/titleCase.js", "javascript", "// Capitalise the first letter of every word: titleCase('the quick fox') === 'The Quick Fox'\nexport function titleCase(text) {\n  // TODO\n}\n", "titleCase"),
]

#: Asks for a stub, varied wording (local: the doc comment is the whole spec).
IMPLEMENT_LOCAL = [
    "Fill in {name}; the comment above it says what it should return.",
    "Can you write the body of {name}?",
    "implement {name} pls",
    "Finish {name} so the example in its doc comment holds.",
    "Write {name} for me.",
    "{name} is just a stub right now. Implement it.",
    "Complete the {name} function.",
    "Please implement {name} as documented.",
]

#: Implement asks that are really edge-case specifications (rule 7): cloud.
IMPLEMENT_EDGE = [
    "Implement parse_duration(text) for strings like '1h30m', '90s', '2d': reject empty input, negative values, "
    "unknown units and repeated units, allow whitespace between parts, cap the total at 30 days, and raise "
    "ValueError naming the bad part.",
    "Write a function that merges overlapping calendar intervals across time zones: touching intervals merge, "
    "zero-length ones are dropped, all-day events span the local day, DST gaps must not create or lose an hour, "
    "and the output stays sorted and stable for equal starts.",
    "Implement a CSV field splitter: quoted fields with embedded commas, doubled quotes inside quotes, CRLF and "
    "LF line ends, a trailing empty field, a BOM at the start, and an error with the column number on an "
    "unterminated quote.",
    "Implement semver comparison: pre-release tags sort below releases, numeric identifiers compare as numbers, "
    "build metadata is ignored, leading zeros are invalid, and 1.0.0-alpha.1 < 1.0.0-alpha.beta < 1.0.0-beta.",
    "Write the money allocation function: split an amount in cents by ratios, never lose or invent a cent, give "
    "remainders to the largest ratios first, ties by position, reject negative ratios and an all-zero ratio list.",
    "Implement rate limiting per API key with a sliding window: bursts up to 10, refill 1 per second, separate "
    "limits for reads and writes, clock going backwards must not grant tokens, and idle keys are evicted after "
    "an hour.",
]

#: Widely used packages (in routing_set/public/known_packages.txt) in routine asks: local.
ROUTINE_PACKAGES = [
    ("boilerplate", "Set up a minimal Flask app with a /ping route returning JSON."),
    ("boilerplate", "Give me an Express server with a POST /upload endpoint that saves the body to disk."),
    ("boilerplate", "A FastAPI app skeleton with one GET /items/{id} route and a pydantic response model."),
    ("boilerplate", "Write an SQLAlchemy model for a User table with id, email (unique) and created_at."),
    ("boilerplate", "Need a Jest config for a TypeScript project using ts-jest."),
    ("boilerplate", "Create a webpack config that bundles src/index.js to dist/ with source maps."),
    ("boilerplate", "Basic Koa app with a logger middleware and a hello route, please."),
    ("boilerplate", "Mongoose schema for a BlogPost: title, body, tags array, author ref."),
    ("boilerplate", "Write a Click CLI with two subcommands, init and run, each taking a --verbose flag."),
    ("boilerplate", "ESLint config for a React + TypeScript project, flat config format."),
    ("script", "Quick script with requests that downloads every URL listed in urls.txt into a folder."),
    ("script", "Use pandas to read sales.csv and print total revenue per month."),
    ("script", "matplotlib snippet: plot two lists as a line chart with axis labels and save it as chart.png."),
    ("script", "A small boto3 script that lists every object in an S3 bucket with its size."),
    ("script", "Throwaway Node script using axios to fetch a JSON endpoint and print the 'name' fields."),
    ("script", "With lodash, group this array of orders by customerId and sum the totals, one-off."),
    ("script", "numpy one-liner to normalise each row of a 2D array to unit length."),
    ("script", "Write a Typer command that renames every .jpeg in a folder to .jpg."),
]

#: Real, rarely used frameworks from the same lists (unranked on PyPI or a few thousand npm downloads a
#: month; released 2025-2026), in asks that need their API: cloud (rule 6). (name, language, ask)
NICHE_PACKAGES = [
    ("Tigrbl", "python", "Write a Tigrbl resource for invoices with REST and JSON-RPC routes and a pre-commit hook."),
    ("Firenado", "python", "Set up a Firenado component with a session-backed login handler."),
    ("Tieguanyin", "python", "Write a Tieguanyin app with one async route and its middleware for request ids."),
    ("Almasix", "python", "Create an Almasix controller and migration for a products table."),
    ("Arepy", "python", "Write an Arepy system that moves every entity with a Velocity component each frame."),
    ("Neui", "python", "Build a settings window in Neui with a flex row of toggles bound to reactive state."),
    ("Dalila", "typescript", "Write a Dalila component for a todo list using its signals and DOM bindings."),
    ("Sigx", "typescript", "Create a Sigx counter component with a computed signal and TSX template."),
    ("Overmind", "typescript", "Model the checkout flow as Overmind state, actions and effects."),
    ("Evnty", "typescript", "Use Evnty to debounce and merge these two event streams into one."),
    ("Podda", "javascript", "Store the shopping cart in Podda and subscribe the header badge to its count."),
    ("Kagra", "python", "Write a Kagra scene that loads a VRM avatar and plays an idle animation."),
]

#: Questions about the code in context, with a question mark (local, rule 9: explain).
QUESTIONS = [
    "What does slugify do with an apostrophe?",
    "why does chunk return [] for size 0?",
    "Does to_roman handle 4000? What happens?",
    "What is the point of the panic in Clamp?",
    "Is word_count case sensitive?",
    "How would isPalindrome treat an empty string?",
    "what's median's output for a single value?",
    "What does titleCase do to 'iPhone'?",
]

#: Vague or design asks worded unlike the other sources (cloud, rule 8).
VAGUE = [
    "This feels off. Can you take a pass at it?",
    "Not happy with how this turned out, rework it.",
    "tidy",
    "Could this be done in a smarter way?",
    "Do what you think is best here.",
    "something's wrong, have a look",
    "Make it production ready.",
    "Same as last time but for this one.",
]
DESIGN = [
    "GraphQL or REST for the public API of our marketplace?",
    "Where should validation live, in the handlers or in the domain layer?",
    "Do we need a cache in front of the pricing service, and which invalidation strategy?",
    "Should uploads go straight to object storage or through our backend?",
    "Is it worth moving the job queue from cron scripts to a workflow engine?",
    "How should we version this SDK so old clients keep working?",
]


#: Small finished functions to ask about or refactor (path, language, code).
CODE: list[tuple[str, str, str]] = [
    ("billing/proration.py", "python", "def prorate(amount_cents: int, days_used: int, days_in_period: int) -> int:\n    if days_in_period <= 0:\n        raise ValueError(\"empty period\")\n    share = days_used / days_in_period\n    return round(amount_cents * min(max(share, 0.0), 1.0))\n"),
    ("web/src/hooks/useInterval.ts", "typescript", "import { useEffect, useRef } from 'react';\n\nexport function useInterval(callback: () => void, ms: number | null) {\n  const saved = useRef(callback);\n  useEffect(() => { saved.current = callback; }, [callback]);\n  useEffect(() => {\n    if (ms === null) return;\n    const id = setInterval(() => saved.current(), ms);\n    return () => clearInterval(id);\n  }, [ms]);\n}\n"),
    ("internal/cache/lru.go", "go", "package cache\n\nimport \"container/list\"\n\ntype LRU struct {\n\tcap   int\n\titems map[string]*list.Element\n\torder *list.List\n}\n\ntype entry struct{ key, value string }\n\nfunc (c *LRU) Get(key string) (string, bool) {\n\tif el, ok := c.items[key]; ok {\n\t\tc.order.MoveToFront(el)\n\t\treturn el.Value.(*entry).value, true\n\t}\n\treturn \"\", false\n}\n"),
    ("src/parse.rs", "rust", "pub fn parse_kv(line: &str) -> Option<(&str, &str)> {\n    let (k, v) = line.split_once('=')?;\n    let k = k.trim();\n    if k.is_empty() { return None; }\n    Some((k, v.trim()))\n}\n"),
    ("app/models/order.rb", "ruby", "class Order < ApplicationRecord\n  has_many :line_items\n  def total_cents\n    line_items.sum { |li| li.quantity * li.unit_cents }\n  end\n  def shipped?\n    shipped_at.present?\n  end\nend\n"),
    ("src/main/java/app/Retry.java", "java", "package app;\n\nimport java.util.function.Supplier;\n\npublic final class Retry {\n    public static <T> T times(int n, Supplier<T> action) {\n        RuntimeException last = null;\n        for (int i = 0; i < n; i++) {\n            try { return action.get(); } catch (RuntimeException e) { last = e; }\n        }\n        throw last;\n    }\n}\n"),
]

#: Routine asks about CODE in other languages (local) and open ones (cloud): (language, category, label, ask).
MULTILINGUAL = [
    ("de", "explain", "local", "Kannst du mir kurz erklären, was diese Methode zurückgibt?"),
    ("es", "explain", "local", "¿Qué pasa si days_in_period es cero? Explícalo en dos frases."),
    ("fr", "tests", "local", "Écris des tests unitaires pour cette fonction, avec un cas limite."),
    ("pt", "docs", "local", "Adicione um comentário de documentação a esta função."),
    ("it", "refactor", "local", "Rinomina la variabile `saved` in `latest` senza cambiare il comportamento."),
    ("de", "tests", "local", "Bitte schreib zwei Tests für Get: Treffer und kein Treffer."),
    ("es", "docs", "local", "Documenta los parámetros y el valor de retorno."),
    ("fr", "explain", "local", "Pourquoi utilise-t-on split_once ici ?"),
    ("de", "ambiguous", "cloud", "Das gefällt mir so nicht, mach das ordentlich."),
    ("es", "ambiguous", "cloud", "¿Deberíamos mover esto a un microservicio o dejarlo en el monolito?"),
    ("fr", "ambiguous", "cloud", "Améliore ça, tu vois ce que je veux dire."),
    ("pt", "multi_file", "cloud", "Mude o cálculo de total em todos os serviços que usam Order e atualize os testes."),
    ("it", "ambiguous", "cloud", "Quale architettura conviene per le notifiche: code, webhook o polling?"),
    ("de", "agent", "cloud", "Finde heraus, warum der Build in CI fehlschlägt, und behebe es im ganzen Repo."),
]

#: Questions about CODE without the usual explain words (local, rule 9).
PLAIN_QUESTIONS = [
    "Does prorate round half up or to even?",
    "Is it fine that the effect depends only on ms?",
    "Can Get ever return a stale value here?",
    "Will parse_kv accept '=value' with an empty key?",
    "Could total_cents hit the database once per line item?",
    "Does times swallow the first exceptions on purpose?",
]

#: Single-file refactors with verbs outside the usual list (local, rule 9).
REFACTORS = [
    "Pull the clamping of share out into a helper.",
    "Make this a bit more idiomatic, same behaviour.",
    "Swap the manual loop for a stream, keep the semantics.",
    "Move the magic 0.0 and 1.0 bounds into named constants.",
    "Replace the early return with an if/else, nothing else.",
    "Add type annotations everywhere in this file.",
]

#: Boilerplate with nothing attached, through tool-offering shapes too (local, rule 9).
BARE_BOILERPLATE = [
    "An nginx server block that proxies / to localhost:3000 and serves /static from a folder.",
    "Kubernetes Deployment and Service YAML for one container on port 8080, 2 replicas.",
    "pyproject.toml for a small library with pytest and ruff as dev dependencies.",
    "A GitHub Actions workflow that runs go test on every push.",
    "docker-compose file: redis plus a worker container built from the current folder.",
    "Write a .prettierrc with single quotes and 100-character lines.",
]

#: Tool-using tasks with nothing attached: the model has to explore, change and check (cloud, rule 2).
BARE_AGENT = [
    "The nightly export job started timing out last week. Find out why and fix it.",
    "Some API responses are missing the pagination header; track down where and add it.",
    "Upgrade the project to the new major version of the ORM and get the tests green again.",
    "Search the code for places that log access tokens and redact them.",
    "The e2e suite is flaky on CI only. Investigate and make it stable.",
    "Add request tracing to every outgoing HTTP call in the services folder.",
]


def _record(group: str, category: str, label: str, client: str, shape: str, body: dict[str, Any],
            reason: str) -> dict[str, Any]:
    return {"id": f"{group}-1", "group": group, "category": category, "label": label, "client": client,
            "shape": shape, "endpoint": CHAT, "body": body, "reason": reason}


def _shape(index: int, ask: str, files: list[tuple[str, str, str]]) -> tuple[str, str, dict[str, Any]]:
    """A client shape by position: every client appears in every group of asks."""
    which = index % 6
    if which == 0:
        return "continue", "continue-chat", clients.continue_chat(ask, files)
    if which == 1:
        return "openai-sdk", "openai-sdk", clients.openai_sdk(ask, files)
    if which == 2:
        return "aider", "aider-diff" if files else "aider-ask", clients.aider(ask, files, fmt="diff" if files else "ask")
    if which == 3:
        return "cline", "cline-plan", clients.cline(ask, mode="plan", mentions=[(p, c) for p, _, c in files])
    if which == 4:
        return "continue", "continue-agent", clients.continue_agent(ask, files)
    return "openai-sdk", "openai-sdk-tools", clients.openai_sdk(ask, files, system="Use the tools when needed.",
                                                                tools=clients.SDK_TOOLS)


def build() -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    # Implement a stub from its doc comment: local. Every stub with two different asks.
    for index, (path, language, code, name) in enumerate(STUBS):
        for turn in range(2):
            ask = IMPLEMENT_LOCAL[(index + 3 * turn) % len(IMPLEMENT_LOCAL)].format(name=name)
            client, shape, body = _shape(index * 2 + turn, ask, [(path, language, code)])
            out.append(_record(f"ti{index:02d}{turn}", "script", "local", client, shape, body,
                               "rule 9: a small self-contained function whose doc comment is a clear spec with an example"))
    # Implement with many edge cases: cloud.
    for index, ask in enumerate(IMPLEMENT_EDGE):
        client, shape, body = _shape(index + 1, ask, [])
        out.append(_record(f"te{index:02d}", "edge_spec", "cloud", client, shape, body,
                           "rule 7: five or more explicit edge cases the code must satisfy"))
    # Widely used packages, routine asks: local.
    for index, (category, ask) in enumerate(ROUTINE_PACKAGES):
        client, shape, body = _shape(index, ask, [])
        out.append(_record(f"tp{index:02d}", category, "local", client, shape, body,
                           "rule 9: boilerplate or a throwaway script with a widely used library "
                           "(PyPI top 5,000 / npm 1M+ downloads a month)"))
    # Rarely used real frameworks: cloud.
    for index, (name, _language, ask) in enumerate(NICHE_PACKAGES):
        client, shape, body = _shape(index + 2, ask, [])
        out.append(_record(f"tn{index:02d}", "niche", "cloud", client, shape, body,
                           f"rule 6: {name} is a real but rarely used framework (public package lists: few "
                           "downloads, released 2025-2026), thin or no coverage in a 7B coder's training data"))
    # Questions about the stub in context: local.
    for index, ask in enumerate(QUESTIONS):
        path, language, code, _ = STUBS[index % len(STUBS)]
        client, shape, body = _shape(index + 4, ask, [(path, language, code)])
        out.append(_record(f"tq{index:02d}", "explain", "local", client, shape, body,
                           "rule 9: a question about the one small function in context"))
    # Vague asks with code in context, and design asks: cloud.
    for index, ask in enumerate(VAGUE):
        path, language, code, _ = STUBS[(index + 5) % len(STUBS)]
        client, shape, body = _shape(index + 3, ask, [(path, language, code)])
        out.append(_record(f"tv{index:02d}", "ambiguous", "cloud", client, shape, body,
                           "rule 8: what to change cannot be determined from the request and its context"))
    for index, ask in enumerate(DESIGN):
        client, shape, body = _shape(index + 5, ask, [])
        out.append(_record(f"td{index:02d}", "ambiguous", "cloud", client, shape, body,
                           "rule 8: a design decision with trade-offs the request does not settle"))
    for index, (language, category, label, ask) in enumerate(MULTILINGUAL):
        files = [] if category in ("multi_file", "agent") or "microservicio" in ask or "architettura" in ask \
            else [CODE[index % len(CODE)]]
        client, shape, body = _shape(index, ask, files)
        reason = {
            "local": "rule 9: a routine ask about the one function in context, written in another language",
            "cloud": "rules 2/4/8 (category): open, design or cross-repository work, written in another language",
        }[label]
        out.append(_record(f"tl{index:02d}{language}", category, label, client, shape, body, reason))
    for index, ask in enumerate(PLAIN_QUESTIONS):
        client, shape, body = _shape(index + 1, ask, [CODE[index % len(CODE)]])
        out.append(_record(f"tk{index:02d}", "explain", "local", client, shape, body,
                           "rule 9: a question about the one small function in context"))
    for index, ask in enumerate(REFACTORS):
        path, language, code = CODE[index % len(CODE)]
        if index % 3 == 0:
            client, shape = "continue", "continue-edit-section"
            body = clients.continue_edit(ask, path, language, code, variant="section")
        else:
            client, shape, body = _shape(index + 2, ask, [(path, language, code)])
        out.append(_record(f"tr{index:02d}", "refactor", "local", client, shape, body,
                           "rule 9: a single-file refactor of the code in context"))
    for index, ask in enumerate(BARE_BOILERPLATE):
        client, shape, body = _shape(index + 4, ask, [])
        out.append(_record(f"tb{index:02d}", "boilerplate", "local", client, shape, body,
                           "rule 9: a standard config file or scaffold, no context needed"))
    for index, ask in enumerate(BARE_AGENT):
        which = index % 3
        if which == 0:
            client, shape, body = "cline", "cline-act", clients.cline(ask, mode="act")
        elif which == 1:
            client, shape, body = "continue", "continue-agent", clients.continue_agent(ask, [])
        else:
            client, shape = "openai-sdk", "openai-sdk-tools"
            body = clients.openai_sdk(ask, [], system="You are a coding agent with repository tools.",
                                      tools=clients.SDK_TOOLS)
        out.append(_record(f"tg{index:02d}", "agent", "cloud", client, shape, body,
                           "rule 2: needs several tool steps (search the repository, change files, run checks)"))
    return out
