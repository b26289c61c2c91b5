"""Request bodies in the shapes the real clients send (see shared/reference continue.md, cline.md, aider.md)."""

from __future__ import annotations

import json
from typing import Any

CLINE_SYSTEM = (
    "You are Cline, a highly skilled software engineer with extensive knowledge in many programming "
    "languages, frameworks, design patterns, and best practices.\n\n====\n\nTOOL USE\n\n"
    "You have access to a set of tools that are executed upon the user's approval.\n\n====\n\nRULES\n\n"
    "- Your current working directory is: /home/dev/project\n"
    "- You cannot `cd` into a different directory to complete a task.\n"
    "- Do not ask for more information than necessary.\n"
)


def tool(name: str, description: str, *params: str) -> dict[str, Any]:
    return {
        "type": "function",
        "function": {
            "name": name,
            "description": description,
            "parameters": {
                "type": "object",
                "properties": {p: {"type": "string", "description": f"The {p}."} for p in params},
                "required": list(params[:1]),
            },
        },
    }


CLINE_TOOLS = [
    tool("read_file", "Read the contents of a file at the specified path.", "path"),
    tool("write_to_file", "Write content to a file at the specified path.", "path", "content"),
    tool("replace_in_file", "Replace sections of content in an existing file.", "path", "diff"),
    tool("execute_command", "Execute a CLI command on the system.", "command", "requires_approval"),
    tool("search_files", "Regex search across files in a directory.", "path", "regex", "file_pattern"),
    tool("list_files", "List files and directories.", "path", "recursive"),
    tool("attempt_completion", "Present the result of the task to the user.", "result"),
    tool("ask_followup_question", "Ask the user a question.", "question"),
]


def continue_chat(question: str, *, files: dict[str, str] | None = None, rules: list[str] | None = None,
                  history: list[tuple[str, str]] | None = None) -> dict[str, Any]:
    """Continue chat: context items as ```lang path fences before the question."""
    system = "Always include the language and file name in the info string when you write code blocks."
    if rules:
        system += "\n\n<rules>\n" + "\n".join(f"- {r}" for r in rules) + "\n</rules>"
    messages: list[dict[str, Any]] = [{"role": "system", "content": system}]
    for user, assistant in history or []:
        messages += [{"role": "user", "content": user}, {"role": "assistant", "content": assistant}]
    context = "".join(f"```python {path}\n{code}\n```\n\n" for path, code in (files or {}).items())
    messages.append({"role": "user", "content": context + question})
    return {"model": "hybrid-auto", "messages": messages, "max_tokens": 4096, "temperature": 0.2,
            "stream": True, "stream_options": {"include_usage": True}}


def continue_autocomplete(prefix: str, suffix: str) -> dict[str, Any]:
    return {"model": "hybrid-auto", "prompt": f"<|fim_prefix|>{prefix}<|fim_suffix|>{suffix}<|fim_middle|>",
            "max_tokens": 128, "temperature": 0.01, "stop": ["<|endoftext|>"], "stream": True}


def cline_act(task: str, *, reads: list[str] | None = None, rules: list[str] | None = None) -> dict[str, Any]:
    system = CLINE_SYSTEM
    if rules:
        system += "\n====\n\nUSER'S CUSTOM INSTRUCTIONS\n\n# .clinerules\n" + "\n".join(f"- {r}" for r in rules)
    messages: list[dict[str, Any]] = [
        {"role": "system", "content": system},
        {"role": "user", "content": [
            {"type": "text", "text": f"<task>\n{task}\n</task>"},
            {"type": "text", "text": "<environment_details>\n# Current Working Directory Files\nsrc/\n"
                                     "</environment_details>"},
        ]},
    ]
    for index, path in enumerate(reads or []):
        call_id = f"call_{index}"
        messages.append({"role": "assistant", "content": "", "tool_calls": [{
            "id": call_id, "type": "function",
            "function": {"name": "read_file", "arguments": json.dumps({"path": path})}}]})
        messages.append({"role": "tool", "tool_call_id": call_id, "content": f"def f{index}():\n    return {index}\n"})
    return {"model": "hybrid-auto", "messages": messages, "tools": CLINE_TOOLS, "tool_choice": "auto",
            "stream": True, "stream_options": {"include_usage": True}}


AIDER_DIFF_SYSTEM = (
    "Act as an expert software developer.\nAlways use best practices when coding.\n"
    "Once you understand the request you MUST:\n1. Decide if you need to propose *SEARCH/REPLACE* edits.\n"
    "2. Describe each change with a *SEARCH/REPLACE block* per the examples below.\n"
)


def aider_diff(request: str, files: dict[str, str]) -> dict[str, Any]:
    listing = "".join(f"{path}\n```\n{code}\n```\n\n" for path, code in files.items())
    return {"model": "hybrid-auto", "stream": True, "temperature": 0, "messages": [
        {"role": "system", "content": AIDER_DIFF_SYSTEM},
        {"role": "user", "content": "I have *added these files to the chat* so you can go ahead and edit them.\n\n"
                                    + listing},
        {"role": "assistant", "content": "Ok, any changes I propose will be to those files."},
        {"role": "user", "content": request},
    ]}
