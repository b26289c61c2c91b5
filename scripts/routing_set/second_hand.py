"""The second source (tests/data/routing/written.jsonl): a generator of a different style, plus hand-written cases.

Written separately from tasks.py/make_routing_set.py: other wording (casual, terse, polite, non-native,
four natural languages), other code (second_pool.py: Go, Rust, Java, Ruby, PHP, SQL, Bash, Kotlin, C#,
TypeScript, pandas), and local-capable asks rendered in agent shapes too (Continue agent mode with its
tools, Cline plan mode, an SDK script that always passes tools), because tools offered are not by
themselves an agent loop. The hand-written hard cases (hard_cases.py) are the ones where the
surface misleads. Labels follow tests/data/routing/LABELLING.md; each record says why.
"""

from __future__ import annotations

import hashlib
import random
from typing import Any

from routing_set import clients
from routing_set.second_pool import GROUPS, SNIPPETS, big_module

SEED = 4242
CHAT = "/v1/chat/completions"

#: The main symbol of each snippet, for asks that name it.
SYMBOLS: dict[str, str] = {
    "internal/ratelimit/window.go": "Allow",
    "src/units.rs": "human_size",
    "app/src/main/java/com/shop/InvoiceNumber.java": "InvoiceNumber.next",
    "lib/price_formatter.rb": "PriceFormatter#format",
    "src/Controller/NewsletterController.php": "subscribe",
    "db/queries/monthly_revenue.sql": "the revenue query",
    "scripts/backup.sh": "backup.sh",
    "src/utils/groupBy.ts": "groupBy",
    "analysis/clean.py": "weekly_totals",
    "app/src/main/kotlin/com/notes/NoteRepository.kt": "NoteRepository",
    "Services/TemperatureConverter.cs": "Describe",
    "src/lib/retry.js": "retry",
}

# (text with {sym} for the snippet's symbol, context): "snippet" attaches one file, "none" nothing.
LOCAL: dict[str, list[tuple[str, str]]] = {
    "explain": [
        ("hey, what is {sym} actually doing? i inherited this", "snippet"),
        ("Could you give me a plain-English rundown of {sym}?", "snippet"),
        ("ELI5 this code pls", "snippet"),
        ("I'm new to this language — line by line, what happens in {sym}?", "snippet"),
        ("What's the purpose of the defer here?", "snippet"),
        ("why does {sym} return early like that", "snippet"),
        ("Was macht diese Funktion genau?", "snippet"),
        ("¿Qué hace {sym}? Explícamelo brevemente.", "snippet"),
        ("这个函数是做什么的？", "snippet"),
        ("Explique-moi ce que fait ce code, s'il te plaît.", "snippet"),
        ("Quick sanity check: does {sym} mutate its argument?", "snippet"),
        ("What would {sym} print for an empty input?", "snippet"),
        ("tl;dr of this file?", "snippet"),
        ("Help me understand the match arms in {sym}.", "snippet"),
        ("Is there anything surprising about how {sym} handles the boundary?", "snippet"),
        ("what's the big-O here", "snippet"),
    ],
    "tests": [
        ("write some tests for {sym}", "snippet"),
        ("Cover {sym} with unit tests — happy path plus one failure.", "snippet"),
        ("I need a test file for this. Use whatever framework is standard for the language.", "snippet"),
        ("Give me three quick test cases for {sym}.", "snippet"),
        ("Schreib bitte Unit-Tests für {sym}.", "snippet"),
        ("tests pls", "snippet"),
        ("Add a regression test showing {sym} works with the max value.", "snippet"),
        ("Can you draft table tests for {sym}?", "snippet"),
        ("Write an RSpec/JUnit/xUnit-style spec (whichever fits) for this class.", "snippet"),
        ("Generate a minimal test that calls {sym} once and checks the result.", "snippet"),
        ("Add a test for the error branch of {sym}.", "snippet"),
        ("Escribe pruebas unitarias para esta función.", "snippet"),
    ],
    "boilerplate": [
        ("Need a docker-compose.yml with postgres 16 and a pgadmin container.", "none"),
        ("Spin up a Flask hello-world with a /health route.", "none"),
        ("Create a tsconfig.json for a Node 20 library that emits ESM and .d.ts files.", "none"),
        ("Give me a systemd unit file for a Go binary at /usr/local/bin/api.", "none"),
        ("A basic Kotlin data class for a Customer with name, email and a list of addresses.", "none"),
        ("Write a GitLab CI file that runs npm test on merge requests.", "none"),
        ("Generate a Go struct with JSON tags for: id, created_at, tags (list of strings).", "none"),
        ("Crea un Dockerfile multi-stage para una app de Node.", "none"),
        ("Create a Laravel migration for a `comments` table (post_id, body, timestamps).", "none"),
        ("Scaffold a Rails controller with index/show/create for Article.", "none"),
        ("Write a minimal Cargo.toml for a CLI named `tidy` using clap 4.", "none"),
        ("Give me a renovate.json that groups all eslint packages.", "none"),
        ("Create an OpenAPI 3 stub for GET /pets and POST /pets.", "none"),
        ("Make me a pre-commit config with black and isort.", "none"),
    ],
    "refactor": [
        ("Can you pull the cutoff computation out into its own function?", "snippet"),
        ("Make {sym} a bit more idiomatic — same behaviour.", "snippet"),
        ("Swap the manual loop for the standard library helper.", "snippet"),
        ("rename `kept` to `recent` everywhere in this snippet", "snippet"),
        ("Turn the hard-coded symbols map into a constant at the top.", "snippet"),
        ("Convert this to use a when/switch expression.", "snippet"),
        ("Replace the string formatting with interpolation.", "snippet"),
        ("Bitte die verschachtelten ifs in {sym} durch frühe Returns ersetzen.", "snippet"),
        ("Add explicit types to every parameter in this file.", "snippet"),
        ("Make this function pure by passing the clock in.", "snippet"),
        ("Split {sym} into a parse step and a format step.", "snippet"),
        ("Use const instead of let where possible.", "snippet"),
        ("Reescribe esto con async/await.", "snippet"),
        ("Flatten the nested conditionals a bit.", "snippet"),
    ],
    "docs": [
        ("Write a doc comment for {sym}.", "snippet"),
        ("Document the arguments of this script in a usage block at the top.", "snippet"),
        ("Add KDoc/Javadoc-style comments to the public members.", "snippet"),
        ("drop a short comment above each function saying what it's for", "snippet"),
        ("Write a README paragraph explaining how to run this.", "snippet"),
        ("Add XML doc comments (///) to these methods.", "snippet"),
        ("Kommentiere bitte die schwierigen Zeilen.", "snippet"),
        ("Add a docstring with an example call to {sym}.", "snippet"),
        ("Write a one-paragraph summary of this module for our wiki.", "snippet"),
        ("Comment the SQL so an analyst can follow each clause.", "snippet"),
        ("Add rustdoc with a doctest example for {sym}.", "snippet"),
        ("Añade comentarios de documentación a esta clase.", "snippet"),
    ],
    "script": [
        ("Python: walk a folder and print files bigger than 100 MB.", "none"),
        ("bash loop that pings 10.0.0.1-20 and prints which ones answer", "none"),
        ("Quick pandas snippet to pivot sales by month and region.", "none"),
        ("Write a tiny Go program that reads lines from stdin and prints them reversed.", "none"),
        ("awk one-liner to sum the third column of a CSV", "none"),
        ("Node script: read a JSON file, sort the array by `date`, write it back.", "none"),
        ("Give me a PowerShell line to list services that are stopped.", "none"),
        ("python script to rename photos by their EXIF date, one-off", "none"),
        ("Kurzes Skript, das alle .log-Dateien älter als 7 Tage zippt.", "none"),
        ("A regex to pull hashtags out of a tweet.", "none"),
        ("Write a SQL query that finds duplicate emails in the users table.", "none"),
        ("Script rápido para convertir un CSV a JSON en Python.", "none"),
        ("curl command to POST a JSON body with a bearer token", "none"),
        ("Throw together a Python script that splits a big CSV into 10k-row chunks.", "none"),
    ],
}

CLOUD: dict[str, list[tuple[str, str]]] = {
    "multi_file": [
        ("Two concurrent transfers can overdraw an account. Walk through these three files and fix the race.",
         "group"),
        ("Add a transfer limit per day; it has to be enforced in the service and surfaced by the handler.",
         "group"),
        ("The dashboard flashes 'Please log in' after a refresh even though the session is stored. Why, "
         "across these files?", "group"),
        ("Move token refresh into the api client and make useSession and the pages rely on it.", "group"),
        ("Add overdue notices: LendingService should flag them, Member should expose them, keep the policy "
         "configurable.", "group"),
        ("How do these modules fit together, and what breaks if Accounts.Get starts returning a pointer?",
         "group"),
        ("Replace the global session variable with a context provider and update every consumer.", "group"),
        ("Make the transfer idempotent with a client-supplied key, end to end.", "group"),
        ("Introduce interfaces so the transfer service can be unit tested without a database; adjust the "
         "handler and store.", "group"),
        ("Audit these files for places where an error is swallowed and the caller never learns about it.",
         "group"),
        ("Fines should be capped at the book price; thread that through policy, service and member.",
         "group"),
        ("Where could a 401 during login leave the app in a half-logged-in state? Fix it in all files "
         "involved.", "group"),
    ],
    "long_rules": [
        ("Add an endpoint to cancel a booking.", "snippet"),
        ("Write the repository method for archiving notes.", "snippet"),
        ("Create a component that lists invoices.", "none"),
        ("Implement CSV export for the revenue report.", "snippet"),
        ("Add rate limiting to the subscribe action.", "snippet"),
        ("Write a background job that emails weekly totals.", "none"),
        ("Add a settings screen for notification preferences.", "none"),
        ("Create the model and migration for gift cards.", "none"),
        ("Add pagination to the notes list.", "snippet"),
        ("Write a function that applies discounts to a cart.", "none"),
    ],
    "niche": [
        ("Rewrite this page with Phoenix LiveView 1.0 streams and the new :for comprehension in HEEx.",
         "none"),
        ("How do I use Angular 19's linkedSignal and resource() together for a search box?", "none"),
        ("Write a Lustre (Gleam) component with an update function and effects.", "none"),
        ("Show me Ktor 3 server-sent events with the new SSE plugin.", "none"),
        ("Port this handler to Axum 0.8 with the new path syntax and typed extractors.", "snippet"),
        ("Use Zod 4's new codecs to parse and serialise dates in this schema.", "snippet"),
        ("Set up TanStack Start server functions with validation for the login form.", "none"),
        ("Write a Godot 4.3 GDScript node with typed signals and a tween.", "none"),
        ("Use Bun 1.2's built-in S3 client to upload the backup instead of tar + aws cli.", "snippet"),
        ("How do I configure Tailwind v4's @theme directive to add brand colours?", "none"),
        ("Write a Polars 1.x lazy query with join_asof for these sensor readings.", "none"),
        ("Build an agent with Pydantic AI that calls a typed tool and streams the result.", "none"),
        ("Use the LangGraph functional API (@entrypoint, @task) for a two-step summariser.", "none"),
        ("Implement this with Jetpack Compose Multiplatform 1.7 resources for strings and images.", "none"),
        ("Rewrite the query with SQLAlchemy 2.1's new typed select and mapped_as_dataclass.", "none"),
        ("Write a Roc platform-agnostic function with tag unions for the parser result.", "none"),
    ],
    "edge_spec": [
        ("Acceptance criteria for normalize_phone(raw, region):\n- strips spaces, dots, dashes, parentheses\n"
         "- '+' only allowed at the start\n- national numbers get the region's code\n- extensions ('x123', "
         "'ext. 12') kept separately\n- vanity letters mapped to digits\n- returns None for fewer than 7 "
         "digits\n- raises on mixed scripts (Arabic-Indic digits mixed with ASCII)", "none"),
        ("Given/When/Then for the seat allocator: given a full row, when two people book together, then "
         "they never get split across an aisle; given an odd group, the single seat goes to the last booker; "
         "given a wheelchair booking, keep the adjacent seat free; given concurrent bookings, no seat is "
         "sold twice; given a cancellation, the seat returns only after the hold expires.", "none"),
        ("Write chunked upload resume logic: chunks can arrive out of order, duplicates must be ignored, the "
         "final size may be unknown until the last chunk, a checksum mismatch restarts only that chunk, "
         "stale uploads expire after 24h, and a zero-byte file is valid.", "none"),
        ("Implement business-day arithmetic: add N business days skipping weekends and a holiday list, "
         "negative N goes backwards, starting on a holiday counts from the next business day, N=0 on a "
         "weekend returns the next Monday, and the holiday list may contain duplicates or unsorted dates.",
         "none"),
        ("Parse a Content-Disposition header: quoted and unquoted filenames, filename* with RFC 5987 "
         "encoding taking precedence, semicolons inside quotes, backslash escapes, missing filename, and "
         "path traversal like '../../etc/passwd' must be neutralised.", "none"),
        ("Spec for merging two user profiles:\n1. newest non-empty value wins per field\n2. emails union, "
         "primary stays the older account's\n3. roles: the higher privilege wins, but 'banned' always wins\n"
         "4. timestamps in different zones must compare correctly\n5. merging A into B and B into A gives "
         "the same result\n6. merging a profile with itself is a no-op", "none"),
        ("Write a cron expression evaluator: 5 fields, ranges, steps, lists, names (MON, JAN), day-of-month "
         "and day-of-week OR semantics, 'L' for last day, DST gaps skip and overlaps run once.", "none"),
        ("Make a money splitter: allocate cents by ratios (like 1:1:1 for 100 -> 34/33/33), ratios may be "
         "zero, all-zero ratios raise, negative amounts mirror positive ones, and the order of remainders "
         "must be deterministic.", "none"),
        ("Version range matcher: support ^, ~, >=, <, x-ranges, hyphen ranges, || unions, pre-releases only "
         "matching when the range names the same major.minor.patch, and invalid input raising a clear error.",
         "none"),
        ("Implement an inventory reservation: reserve(sku, qty) must never go below zero, reservations expire, "
         "expiry and a new reservation racing must be safe, partial reservations are not allowed, and "
         "releasing twice is a no-op.", "none"),
    ],
    "agent": [
        ("Bump the Go toolchain to 1.23, fix whatever breaks and run the tests.", "agent"),
        ("Add a `--json` output flag to every CLI subcommand and update the docs.", "agent"),
        ("Find every place we log the user's email and mask it, then run the linter.", "agent"),
        ("Our e2e tests flake on CI about one run in five. Investigate and fix.", "agent"),
        ("Replace moment.js with date-fns across the web app.", "agent"),
        ("Set up Storybook for the components folder and add stories for the three buttons.", "agent"),
        ("Wire Sentry into both the API and the worker, with release tags from git.", "agent"),
        ("Convert the project from setup.py to pyproject.toml with hatch, keep the entry points.", "agent"),
        ("Make the Docker image smaller; measure before and after.", "agent"),
        ("Delete the dead feature flags listed in flags.yaml and the code behind them.", "agent"),
        ("Add a migration that backfills `slug` for existing posts and run it against the dev DB.", "agent"),
        ("Go through the failing mypy errors in src/ and fix them one module at a time.", "agent"),
        ("Port the remaining class components to hooks and keep the snapshots passing.", "agent"),
        ("Implement the password-reset flow: endpoint, email template, token table, tests.", "agent"),
    ],
    "overflow": [
        ("Which helpers in this file are never called by the others?", "huge"),
        ("Give me an overview of everything this module does, grouped by theme.", "huge"),
        ("Find all functions here that could divide by zero.", "huge"),
        ("Rewrite every function in this file to use dataclasses for the records.", "huge"),
        ("List the functions that duplicate each other's logic.", "huge"),
        ("Add type hints throughout this module.", "huge"),
    ],
    "ambiguous": [
        ("how should we structure auth for this?", "none"),
        ("what's the best way to shard this?", "snippet"),
        ("should this be a separate service?", "snippet"),
        ("design the caching layer", "none"),
        ("make checkout robust", "none"),
        ("we need multi-tenancy, where do we start", "none"),
        ("this feels slow, thoughts?", "snippet"),
        ("can you sort out the mess in here", "snippet"),
        ("do what you think is right with this file", "snippet"),
        ("is this architecture going to scale?", "none"),
        ("fix", "snippet"),
        ("same as yesterday but for the other repo", "none"),
        ("the numbers look wrong", "snippet"),
        ("Plan the migration to event sourcing.", "none"),
        ("Propose a better data model.", "snippet"),
        ("hmm this is not what I wanted", "snippet"),
        ("tidy this up a bit?", "snippet"),
        ("polish this", "snippet"),
        ("can this be improved", "snippet"),
        ("make this nicer to read and faster", "snippet"),
        ("optimise this please", "snippet"),
        ("it's not working, help", "snippet"),
        ("refactor this properly", "snippet"),
        ("fix whatever is wrong here", "snippet"),
        ("ugh, this is ugly", "snippet"),
        ("Verbessere das hier.", "snippet"),
    ],
}

REASONS = {
    "autocomplete": "autocomplete (FIM): a small local coder is built for this",
    "explain": "explain code in context: answerable in one reply from what is attached",
    "tests": "unit tests for one function or class in context",
    "boilerplate": "boilerplate / config / scaffold: a well-known structural pattern",
    "refactor": "single-file refactor of the code in context",
    "docs": "doc comments or docs for the code in context",
    "script": "throwaway script or one-liner",
    "multi_file": "reasoning across 3+ files that depend on each other",
    "long_rules": "more than 15 user rules the answer must follow",
    "niche": "niche or recently released framework or version",
    "edge_spec": "specification with many explicit edge cases and conditions",
    "agent": "a multi-step tool-using task (change files, run commands, iterate)",
    "overflow": "context beyond the local model's window",
    "ambiguous": "open-ended or design question: what to do is a judgement call",
}

#: House rules written as a CONTRIBUTING-style list (different wording from tasks.RULES).
TEAM_RULES = [
    "Prefer small pure functions; side effects at the edges.", "Every exported symbol gets a doc comment.",
    "No TODO without a ticket id.", "Errors are wrapped with context, never discarded.",
    "Use the project's logger, never fmt.Println or console.log.", "Timeouts on every network call.",
    "No global mutable state.", "Configuration comes from env vars via the config package.",
    "Currency amounts are integers in minor units.", "All times are UTC; convert only for display.",
    "SQL lives in the store package only.", "Handlers validate input before calling services.",
    "Return typed errors from services; map them to HTTP codes in handlers.",
    "Tests are table-driven where there are 3+ cases.", "Feature flags via flags.Enabled(ctx, name).",
    "Public API changes require a CHANGELOG entry.", "Never log secrets, tokens or emails.",
    "UI strings go through i18n keys.", "Components are accessible: labels, roles, focus order.",
    "CSS via design tokens only.", "No new dependency without an ADR.", "Migrations are reversible.",
    "Background jobs are idempotent and retry-safe.", "Name booleans as questions (isX, hasY).",
    "Keep files under 300 lines.", "One component per file.", "Avoid default exports.",
    "Use early returns over nested conditionals.", "Metrics: every endpoint records latency and status.",
    "Cache keys include a version prefix.", "Pagination is cursor-based.", "IDs are UUIDv7.",
    "Dates in APIs are RFC 3339 strings.", "Rate limits are per API key.", "Write commit messages in English.",
    "Code review needs two approvals for auth changes.", "Prefer composition to inheritance.",
]


def _pick(rng: random.Random, key: str, count: int) -> int:
    return int(hashlib.md5(key.encode()).hexdigest(), 16) % count


class SecondHand:
    """Builds the second source's records; deterministic."""

    def __init__(self) -> None:
        self.rng = random.Random(SEED)
        self.records: list[dict[str, Any]] = []

    def add(self, group: str, category: str, label: str, client: str, shape: str, body: dict[str, Any],
            endpoint: str = CHAT, reason: str | None = None) -> None:
        number = sum(1 for r in self.records if r["group"] == group) + 1
        self.records.append({"id": f"{group}-{number}", "group": group, "category": category, "label": label,
                             "reason": reason or REASONS[category], "client": client, "shape": shape,
                             "endpoint": endpoint, "body": body})

    def snippet(self, key: str) -> tuple[str, str, str]:
        paths = sorted(SNIPPETS)
        path = paths[_pick(self.rng, key, len(paths))]
        language, code = SNIPPETS[path]
        return path, language, code

    def rules(self, many: bool) -> list[str] | None:
        if many:
            return self.rng.sample(TEAM_RULES, self.rng.randint(17, 34))
        if self.rng.random() < 0.55:
            return None
        return self.rng.sample(TEAM_RULES, self.rng.randint(1, 7))

    def render(self, group: str, category: str, label: str, shape: str, text: str,
               files: list[tuple[str, str, str]], *, rules: list[str] | None, agent_depth: int = 0) -> None:
        rng = self.rng
        client = {"openai": "openai-sdk"}.get(shape.split("-")[0], shape.split("-")[0])
        if shape == "continue-chat":
            body = clients.continue_chat(text, files, rules=rules, highlighted=rng.random() < 0.6, rng=rng)
        elif shape == "continue-agent":
            history = [p for p, _, _ in files][:agent_depth] if agent_depth else None
            body = clients.continue_agent(text, files, rules=rules, tool_history=history)
        elif shape.startswith("continue-edit"):
            path, language, code = files[0]
            body = clients.continue_edit(text, path, language, code, variant=shape.rsplit("-", 1)[1])
        elif shape in ("cline-act", "cline-plan"):
            reads = [(p, c) for p, _, c in files[:agent_depth]]
            mentions = [(p, c) for p, _, c in files] if not agent_depth and files else None
            body = clients.cline(text, mode=shape.split("-")[1], reads=reads, rules=rules, mentions=mentions)
        elif shape.startswith("aider-"):
            body = clients.aider(text, files, fmt=shape.split("-")[1], repo_map=rng.random() < 0.4)
        elif shape == "openai-sdk":
            body = clients.openai_sdk(text, files, system=None if rng.random() < 0.5 else
                                      "You are a helpful programming assistant.")
        elif shape == "openai-sdk-tools":
            body = clients.openai_sdk(text, files, system="You are a coding assistant with repository tools.",
                                      tools=clients.SDK_TOOLS, tool_rounds=agent_depth)
        elif shape == "openai-sdk-rules":
            system = "Team conventions (follow all of them):\n" + "\n".join(f"* {r}" for r in rules or [])
            body = clients.openai_sdk(text, files, system=system)
        else:
            raise ValueError(shape)
        self.add(group, category, label, client, shape, body)

    def local(self) -> None:
        shapes = {
            "explain": ["continue-chat", "cline-plan", "aider-ask", "continue-agent", "openai-sdk"],
            "tests": ["continue-chat", "aider-diff", "continue-agent", "openai-sdk", "aider-whole"],
            "boilerplate": ["continue-chat", "openai-sdk", "continue-agent", "aider-whole", "openai-sdk-tools"],
            "refactor": ["continue-edit-section", "aider-diff", "continue-edit-full", "continue-chat", "aider-udiff"],
            "docs": ["continue-edit-section", "continue-chat", "aider-diff", "continue-agent"],
            "script": ["openai-sdk", "continue-chat", "openai-sdk-tools", "aider-whole", "cline-plan"],
        }
        for category, tasks in LOCAL.items():
            for position, (template, context) in enumerate(tasks):
                group = f"w{category[:2]}{position:02d}"
                files = [self.snippet(group)] if context == "snippet" else []
                text = template.format(sym=SYMBOLS.get(files[0][0], "this") if files else "this")
                shape = shapes[category][position % len(shapes[category])]
                if shape.startswith("continue-edit") and not files:
                    shape = "continue-chat"
                self.render(group, category, "local", shape, text, files, rules=self.rules(False))

    def cloud(self) -> None:
        shapes = {
            "multi_file": ["continue-chat", "aider-diff", "openai-sdk", "cline-plan"],
            "long_rules": ["openai-sdk-rules", "continue-chat", "cline-plan", "aider-diff"],
            "niche": ["continue-chat", "openai-sdk", "aider-whole", "continue-agent"],
            "edge_spec": ["openai-sdk", "continue-chat", "aider-whole"],
            "agent": ["cline-act", "continue-agent", "openai-sdk-tools", "cline-act"],
            "overflow": ["continue-chat", "aider-ask", "openai-sdk"],
            "ambiguous": ["continue-chat", "openai-sdk", "aider-diff", "cline-plan"],
        }
        for category, tasks in CLOUD.items():
            for position, (text, context) in enumerate(tasks):
                group = f"w{category[:2]}{position:02d}"
                files: list[tuple[str, str, str]] = []
                if context == "snippet":
                    files = [self.snippet(group)]
                elif context == "group":
                    files = GROUPS[position % len(GROUPS)]
                elif context == "huge":
                    files = [big_module(position + 10, self.rng.randint(64_000, 96_000))]
                elif context == "agent":
                    files = GROUPS[position % len(GROUPS)]
                shape = shapes[category][position % len(shapes[category])]
                depth = 0
                if category == "agent":
                    # Most agent requests are a step inside the loop: tool calls and results so far.
                    depth = [0, 1, 2, 3][position % 4]
                self.render(group, category, "cloud", shape, text, files if category != "agent" or depth else [],
                            rules=self.rules(category == "long_rules"), agent_depth=depth)

    def autocomplete(self, count: int) -> None:
        paths = sorted(SNIPPETS)
        for index in range(count):
            path = paths[index % len(paths)]
            code = SNIPPETS[path][1]
            cut = self.rng.randint(len(code) // 4, 3 * len(code) // 4)
            group = f"wac{index:02d}"
            if index % 3:
                body = clients.continue_autocomplete(path, code[:cut], code[cut:], repo="shop", other=[])
                self.add(group, "autocomplete", "local", "continue", "continue-autocomplete", body, "/v1/completions")
            else:
                body = clients.ollama_generate_fim(code[:cut], code[cut:], raw=index % 2 == 0)
                self.add(group, "autocomplete", "local", "continue", "ollama-generate-fim", body, "/api/generate")


def build() -> list[dict[str, Any]]:
    from routing_set import hard_cases

    builder = SecondHand()
    builder.autocomplete(18)
    builder.local()
    builder.cloud()
    for record in hard_cases.build():
        builder.add(**record)
    return builder.records
