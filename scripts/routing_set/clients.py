"""Request bodies in the exact shapes Continue, Cline, aider and the OpenAI SDK send.

Sources: shared/reference continue.md §5, cline.md §6, aider.md §6; Continue's edit and
apply templates (core/llm/templates/edit/gpt.ts: gptEditPrompt, defaultApplyPrompt),
aider's editblock/wholefile/udiff/ask prompts. System prompts are condensed (the real
Cline prompt is ~6k tokens), but keep each client's structure, markers, tool schemas
and message layout, which is what the router reads.
"""

from __future__ import annotations

import json
import random
from typing import Any

Body = dict[str, Any]

# --- Continue ---------------------------------------------------------------------------------

CONTINUE_CHAT_SYSTEM = """<important_rules>
  You are in chat mode.

  If the user asks to make changes to files offer that they can use the Apply Button on the code block, or switch to Agent Mode to make the suggested updates automatically.
  If needed concisely explain to the user they can switch to agent mode using the Mode Selector dropdown and provide no other details.

  Always include the language and file name in the info string when you write code blocks.
  If you are editing "src/main.py" for example, your code block should start with '```python src/main.py'

  When addressing code modification requests, present a concise code snippet that
  emphasizes only the necessary changes and uses abbreviated placeholders for
  unmodified sections.
</important_rules>"""

CONTINUE_AGENT_SYSTEM = """<important_rules>
  You are in agent mode.

  If you need to use multiple tools, you can call multiple read only tools simultaneously.

  Always include the language and file name in the info string when you write code blocks.
  If you are editing "src/main.py" for example, your code block should start with '```python src/main.py'

  For larger codeblocks (>20 lines), use brief language-appropriate placeholders for unmodified sections.
  However, only output codeblocks for suggestion and demonstration purposes. For implementing changes, use the edit tools.
</important_rules>"""


def _tool(name: str, description: str, params: dict[str, str], required: list[str] | None = None) -> dict[str, Any]:
    return {"type": "function", "function": {
        "name": name, "description": description,
        "parameters": {"type": "object", "required": required if required is not None else list(params)[:1],
                       "properties": {k: {"type": "string", "description": v} for k, v in params.items()}},
    }}


CONTINUE_TOOLS = [
    _tool("read_file", "Use this tool if you need to view the contents of an existing file.",
          {"filepath": "The path of the file to read, relative to the root of the workspace"}),
    _tool("create_new_file", "Create a new file. Only use this when a file doesn't exist and should be created",
          {"filepath": "The path where the new file should be created", "contents": "The contents to write"}),
    _tool("run_terminal_command", "Run a terminal command in the current directory. The shell is not stateful.",
          {"command": "The command to run", "waitForCompletion": "Whether to wait for the command to complete"}),
    _tool("grep_search", "Perform a search over the repository using ripgrep.", {"query": "The search query"}),
    _tool("file_glob_search", "Search for files recursively in the project using glob patterns.",
          {"pattern": "Glob pattern for file path matching"}),
    _tool("view_diff", "View the current diff of working changes", {}, []),
    _tool("read_currently_open_file", "Read the currently open file in the IDE.", {}, []),
    _tool("ls", "List files and folders in a given directory", {"dirPath": "The directory path", "recursive": "bool"}),
    _tool("edit_existing_file", "Use this tool to edit an existing file. If you don't know the contents of the file, "
          "read it first.", {"filepath": "The path of the file to edit", "changes": "Any modifications to the file"}),
    _tool("search_web", "Performs a web search, returning top results.", {"query": "The natural language search query"}),
]


def fence(path: str, language: str, code: str, lines: tuple[int, int] | None = None) -> str:
    info = f"{language} {path}" + (f" (L{lines[0]}-{lines[1]})" if lines else "")
    return f"```{info}\n{code.rstrip()}\n```\n"


def continue_chat(question: str, files: list[tuple[str, str, str]], *, rules: list[str] | None = None,
                  history: list[tuple[str, str]] | None = None, highlighted: bool = True,
                  rng: random.Random | None = None) -> Body:
    system = CONTINUE_CHAT_SYSTEM
    if rules:
        system += "\n\n" + "\n".join(f"- {r}" for r in rules)
    messages: list[dict[str, Any]] = [{"role": "system", "content": system}]
    for user, assistant in history or []:
        messages += [{"role": "user", "content": user}, {"role": "assistant", "content": assistant}]
    parts = []
    for path, language, code in files:
        if highlighted:
            count = code.count("\n") + 1
            parts.append(fence(path, language, code, (1, count)))
        else:
            parts.append(f"```{path}\n{code.rstrip()}\n```\n")
    content = "\n".join(parts) + ("\n" if parts else "") + question
    if rng is not None and rng.random() < 0.5:
        # Newer Continue sends the user turn as content parts.
        messages.append({"role": "user", "content": [{"type": "text", "text": content}]})
    else:
        messages.append({"role": "user", "content": content})
    return {"model": "hybrid-auto", "messages": messages, "max_tokens": 4096, "temperature": 0.7, "top_p": 1,
            "stream": True, "stream_options": {"include_usage": True}}


def continue_agent(question: str, files: list[tuple[str, str, str]], *, tool_history: list[str] | None = None,
                   rules: list[str] | None = None) -> Body:
    """Continue's agent mode: the same chat body plus its built-in tools on every message."""
    body = continue_chat(question, files, rules=rules)
    body["messages"][0]["content"] = CONTINUE_AGENT_SYSTEM + body["messages"][0]["content"][len(CONTINUE_CHAT_SYSTEM):]
    for index, path in enumerate(tool_history or []):
        call = {"id": f"toolu_{index:02d}", "type": "function",
                "function": {"name": "read_file", "arguments": json.dumps({"filepath": path})}}
        body["messages"].append({"role": "assistant", "content": "", "tool_calls": [call]})
        body["messages"].append({"role": "tool", "tool_call_id": call["id"],
                                 "content": f"```{path}\n# contents of {path}\n```"})
    body["tools"] = CONTINUE_TOOLS
    return body


def continue_edit(request: str, path: str, language: str, code: str, *, variant: str) -> Body:
    """Continue's Edit (Cmd+I) through gptEditPrompt: section, full-file or insertion variant."""
    if variant == "full":
        prompt = (f"```{language}\n{code.rstrip()}\n```\n\nPlease rewrite the above file to address the following "
                  f"request:\n\n{request}\n\nYou should rewrite the entire file without any natural language "
                  "explanation. DO NOT surround the code in a code block and DO NOT explain yourself.")
    elif variant == "insert":
        lines = code.splitlines()
        cut = max(1, len(lines) // 2)
        prompt = (f"```{language}\n" + "\n".join(lines[:cut]) + "[BLANK]\n" + "\n".join(lines[cut:]) + "\n```\n\n"
                  "Above is the file of code that the user is currently editing in. Their cursor is located at the "
                  "\"[BLANK]\". They have requested that you fill in the \"[BLANK]\" with code that satisfies the "
                  f"following request:\n\n\"{request}\"\n\nPlease generate this code. Your output will be only the "
                  "code that should replace the \"[BLANK]\", without repeating any of the prefix or suffix, without "
                  "any natural language explanation, and without messing up indentation. Here is the code that will "
                  "replace the \"[BLANK]\":")
    else:
        lines = code.splitlines()
        a, b = len(lines) // 3, 2 * len(lines) // 3
        prefix, section, suffix = "\n".join(lines[:a]), "\n".join(lines[a:b]), "\n".join(lines[b:])
        prompt = "The user has requested a section of code in a file to be rewritten.\n\n"
        if prefix.strip():
            prompt += f"This is the prefix of the file:\n```{language}\n{prefix}\n```\n\n"
        if suffix.strip():
            prompt += f"This is the suffix of the file:\n```{language}\n{suffix}\n```\n\n"
        prompt += (f"This is the code to rewrite:\n```{language}\n{section}\n```\n\nThe user's request is: "
                   f"\"{request}\"\n\nDO NOT output any natural language, only output the code changes.\n\n"
                   "Here is the rewritten code:")
    return {"model": "hybrid-auto", "messages": [{"role": "user", "content": prompt}], "max_tokens": 4096,
            "temperature": 0.7, "stream": True, "stream_options": {"include_usage": True}}


def continue_apply(original: str, new_code: str) -> Body:
    """Continue's Apply button with a non-Sonnet apply model (defaultApplyPrompt)."""
    prompt = (f"{original}\n\nThe following code was suggested as an edit:\n```\n{new_code.rstrip()}\n```\n"
              "Please apply it to the previous code.")
    return {"model": "hybrid-auto", "messages": [{"role": "user", "content": prompt}], "max_tokens": 4096,
            "temperature": 0.7, "stream": True, "stream_options": {"include_usage": True}}


def continue_autocomplete(path: str, prefix: str, suffix: str, *, repo: str, other: list[tuple[str, str]]) -> Body:
    """Continue autocomplete to /v1/completions with the Qwen coder FIM template (multi-file header)."""
    header = f"<|repo_name|>{repo}\n"
    for other_path, snippet in other:
        header += f"<|file_sep|>{other_path}\n{snippet}\n"
    prompt = f"{header}<|file_sep|>{path}\n<|fim_prefix|>{prefix}<|fim_suffix|>{suffix}<|fim_middle|>"
    return {"model": "hybrid-auto", "prompt": prompt, "max_tokens": 128, "temperature": 0.01, "stream": True,
            "stop": ["<|endoftext|>", "<|fim_prefix|>", "<|fim_middle|>", "<|fim_suffix|>", "<|file_sep|>",
                     "<|repo_name|>", "<|im_start|>", "<|im_end|>", "\n\n\n"]}


def ollama_generate_fim(prefix: str, suffix: str, *, raw: bool) -> Body:
    """Continue with provider ollama: /api/generate, raw templated prompt first, then prompt+suffix."""
    options = {"temperature": 0.01, "num_predict": 128, "num_ctx": 8192,
               "stop": ["<|endoftext|>", "<|fim_prefix|>", "\n\n\n"]}
    if raw:
        return {"model": "qwen2.5-coder:1.5b-base", "raw": True, "stream": True, "keep_alive": 1800,
                "prompt": f"<|fim_prefix|>{prefix}<|fim_suffix|>{suffix}<|fim_middle|>", "options": options}
    return {"model": "qwen2.5-coder:1.5b-base", "prompt": prefix, "suffix": suffix, "stream": True,
            "keep_alive": 1800, "options": options}


# --- Cline ------------------------------------------------------------------------------------

CLINE_SYSTEM = """You are Cline, a highly skilled software engineer with extensive knowledge in many programming languages, frameworks, design patterns, and best practices.

====

TOOL USE

You have access to a set of tools that are executed upon the user's approval. You can use one tool per message, and will receive the result of that tool use in the user's response. You use tools step-by-step to accomplish a given task, with each tool use informed by the result of the previous tool use.

====

EDITING FILES

You have access to two tools for working with files: write_to_file and replace_in_file. Understanding their roles and selecting the right one for the job will help ensure efficient and accurate modifications.

Default to replace_in_file for most changes. It's the safer, more precise option that minimizes potential issues. Use write_to_file when creating new files or when the changes are so extensive that using replace_in_file would be more complex or risky.

====

ACT MODE V.S. PLAN MODE

In each user message, the environment_details will specify the current mode. There are two modes:
- ACT MODE: In this mode, you have access to all tools EXCEPT the plan_mode_respond tool.
- PLAN MODE: In this special mode, you have access to the plan_mode_respond tool. The goal is to gather information and get context to create a detailed plan for accomplishing the task.

====

CAPABILITIES

You have access to tools that let you execute CLI commands on the user's computer, list files, view source code definitions, regex search, read and edit files, and ask follow-up questions. These tools help you effectively accomplish a wide range of tasks, such as writing code, making edits or improvements to existing files, understanding the current state of a project, performing system operations, and much more.

====

RULES

- Your current working directory is: /home/dev/project
- You cannot `cd` into a different directory to complete a task. You are stuck operating from '/home/dev/project', so be sure to pass in the correct 'path' parameter when using tools that require a path.
- Do not use the ~ character or $HOME to refer to the home directory.
- Before using the execute_command tool, you must first think about the SYSTEM INFORMATION context provided to understand the user's environment.
- When using the search_files tool, craft your regex patterns carefully to balance specificity and flexibility.
- When creating a new project, organize all new files within a dedicated project directory unless the user specifies otherwise.
- When making changes to code, always consider the context in which the code is being used.
- Do not ask for more information than necessary. Use the tools provided to accomplish the user's request efficiently and effectively.
- Your goal is to try to accomplish the user's task, NOT engage in a back and forth conversation.
- You are STRICTLY FORBIDDEN from starting your messages with "Great", "Certainly", "Okay", "Sure".
- It is critical you wait for the user's response after each tool use, in order to confirm the success of the tool use.

====

SYSTEM INFORMATION

Operating System: Linux 6.8
Default Shell: /bin/bash
Home Directory: /home/dev
Current Working Directory: /home/dev/project

====

OBJECTIVE

You accomplish a given task iteratively, breaking it down into clear steps and working through them methodically.
"""

CLINE_TOOLS = [
    _tool("execute_command", "Request to execute a CLI command on the system.",
          {"command": "The CLI command to execute.", "requires_approval": "Whether this command requires approval."},
          ["command", "requires_approval"]),
    _tool("read_file", "Request to read the contents of a file at the specified path.",
          {"path": "The path of the file to read (relative to the current working directory)."}),
    _tool("write_to_file", "Request to write content to a file at the specified path.",
          {"path": "The path of the file to write to.", "content": "The content to write to the file."},
          ["path", "content"]),
    _tool("replace_in_file", "Request to replace sections of content in an existing file using SEARCH/REPLACE blocks.",
          {"path": "The path of the file to modify.", "diff": "One or more SEARCH/REPLACE blocks."}, ["path", "diff"]),
    _tool("search_files", "Request to perform a regex search across files in a specified directory.",
          {"path": "The directory to search in.", "regex": "The regular expression pattern.",
           "file_pattern": "Glob pattern to filter files."}, ["path", "regex"]),
    _tool("list_files", "Request to list files and directories within the specified directory.",
          {"path": "The directory path.", "recursive": "Whether to list files recursively."}),
    _tool("list_code_definition_names", "Request to list definition names (classes, functions) in source files.",
          {"path": "The directory path."}),
    _tool("ask_followup_question", "Ask the user a question to gather additional information.",
          {"question": "The question to ask the user.", "options": "An array of 2-5 options."}),
    _tool("attempt_completion", "Present the result of your work to the user.",
          {"result": "The result of the task.", "command": "A CLI command to demo the result."}),
    _tool("new_task", "Create a new task with preloaded context.", {"context": "The context to preload."}),
    _tool("plan_mode_respond", "Respond to the user's inquiry in PLAN MODE.",
          {"response": "The response to provide to the user."}),
    _tool("web_fetch", "Fetch a URL and return its content as markdown.", {"url": "The URL to fetch."}),
]


def cline(task: str, *, mode: str, reads: list[tuple[str, str]] | None = None, rules: list[str] | None = None,
          mentions: list[tuple[str, str]] | None = None) -> Body:
    system = CLINE_SYSTEM
    if rules:
        system += ("\n====\n\nUSER'S CUSTOM INSTRUCTIONS\n\nThe following additional instructions are provided by "
                   "the user, and should be followed to the best of your ability without interfering with the TOOL "
                   "USE guidelines.\n\n# .clinerules/house-style.md\n\n" + "\n".join(f"- {r}" for r in rules))
    text = f"<task>\n{task}\n</task>"
    for path, code in mentions or []:
        text += f'\n\n<file_content path="{path}">\n{code}\n</file_content>'
    env = ("<environment_details>\n# VSCode Visible Files\nsrc/app.py\n\n# VSCode Open Tabs\nsrc/app.py\nREADME.md\n\n"
           "# Current Time\n6/3/2026, 10:14:02 AM (Europe/Berlin, UTC+2:00)\n\n# Current Working Directory "
           "(/home/dev/project) Files\nREADME.md\npyproject.toml\nsrc/\ntests/\n\n# Context Window Usage\n"
           "0 / 200K tokens used (0%)\n\n# Current Mode\n" + ("PLAN MODE" if mode == "plan" else "ACT MODE")
           + "\n</environment_details>")
    messages: list[dict[str, Any]] = [
        {"role": "system", "content": system},
        {"role": "user", "content": [{"type": "text", "text": text}, {"type": "text", "text": env}]},
    ]
    for index, (path, code) in enumerate(reads or []):
        call_id = f"call_{index:03d}"
        messages.append({"role": "assistant", "content": f"Let me look at {path}.", "tool_calls": [{
            "id": call_id, "type": "function",
            "function": {"name": "read_file", "arguments": json.dumps({"path": path})}}]})
        messages.append({"role": "tool", "tool_call_id": call_id, "content": code})
    excluded = {"plan_mode_respond"} if mode != "plan" else {"attempt_completion", "write_to_file", "replace_in_file"}
    tools = [t for t in CLINE_TOOLS if t["function"]["name"] not in excluded]
    return {"model": "hybrid-auto", "messages": messages, "tools": tools, "tool_choice": "auto",
            "stream": True, "stream_options": {"include_usage": True}}


# --- aider ------------------------------------------------------------------------------------

AIDER_DIFF_SYSTEM = """Act as an expert software developer.
Always use best practices when coding.
Respect and use existing conventions, libraries, etc that are already present in the code base.

Take requests for changes to the supplied code.
If the request is ambiguous, ask questions.

Always reply to the user in the same language they are using.

Once you understand the request you MUST:

1. Decide if you need to propose *SEARCH/REPLACE* edits to any files that haven't been added to the chat. You can create new files without asking!

But if you need to propose edits to existing files not already added to the chat, you *MUST* tell the user their full path names and ask them to *add the files to the chat*.
End your reply and wait for their approval.
You can keep asking if you then decide you need to edit more files.

2. Think step-by-step and explain the needed changes in a few short sentences.

3. Describe each change with a *SEARCH/REPLACE block* per the examples below.

All changes to files must use this *SEARCH/REPLACE block* format.
ONLY EVER RETURN CODE IN A *SEARCH/REPLACE BLOCK*!
"""

AIDER_DIFF_REMINDER = """# *SEARCH/REPLACE block* Rules:

Every *SEARCH/REPLACE block* must use this format:
1. The *FULL* file path alone on a line, verbatim. No bold asterisks, no quotes around it, no escaping of characters, etc.
2. The opening fence and code language, eg: ```python
3. The start of search block: <<<<<<< SEARCH
4. A contiguous chunk of lines to search for in the existing source code
5. The dividing line: =======
6. The lines to replace into the source code
7. The end of the replace block: >>>>>>> REPLACE
8. The closing fence: ```

Use the *FULL* file path, as shown to you by the user.

Every *SEARCH* section must *EXACTLY MATCH* the existing file content, character for character, including all comments, docstrings, etc.

*SEARCH/REPLACE* blocks will *only* replace the first match occurrence.
Including multiple unique *SEARCH/REPLACE* blocks if needed.

Keep *SEARCH/REPLACE* blocks concise.
Only create *SEARCH/REPLACE* blocks for files that the user has added to the chat!

ONLY EVER RETURN CODE IN A *SEARCH/REPLACE BLOCK*!
"""

AIDER_DIFF_EXAMPLES = [
    ("Change get_factorial() to use math.factorial",
     "To make this change we need to modify `mathweb/flask/app.py` to:\n\n1. Import the math package.\n"
     "2. Remove the existing factorial() function.\n3. Update get_factorial() to call math.factorial instead.\n\n"
     "Here are the *SEARCH/REPLACE* blocks:\n\nmathweb/flask/app.py\n```python\n<<<<<<< SEARCH\n"
     "from flask import Flask\n=======\nimport math\nfrom flask import Flask\n>>>>>>> REPLACE\n```\n"),
    ("Refactor hello() into its own file.",
     "To make this change we need to modify `main.py` and make a new file `hello.py`:\n\n"
     "Here are the *SEARCH/REPLACE* blocks:\n\nhello.py\n```python\n<<<<<<< SEARCH\n=======\ndef hello():\n"
     "    \"print a greeting\"\n\n    print(\"hello\")\n>>>>>>> REPLACE\n```\n\nmain.py\n```python\n"
     "<<<<<<< SEARCH\ndef hello():\n    \"print a greeting\"\n\n    print(\"hello\")\n=======\n"
     "from hello import hello\n>>>>>>> REPLACE\n```\n"),
]

AIDER_WHOLE_SYSTEM = """Act as an expert software developer.
Take requests for changes to the supplied code.
If the request is ambiguous, ask questions.

Always reply to the user in the same language they are using.

Once you understand the request you MUST:
1. Determine if any code changes are needed.
2. Explain any needed changes.
3. If changes are needed, output a copy of each file that needs changes.
"""

AIDER_WHOLE_REMINDER = """To suggest changes to a file you MUST return the entire content of the updated file.
You MUST use this *file listing* format:

path/to/filename.js
```
// entire file content ...
// ... goes in between
```

Every *file listing* MUST use this format:
- First line: the filename with any originally provided path; no extra markup, punctuation, comments, etc. **JUST** the filename with path.
- Second line: opening ```
- ... entire content of the file ...
- Final line: closing ```

To suggest changes to a file you MUST return a *file listing* that contains the entire content of the file.
*NEVER* skip, omit or elide content from a *file listing* using "..." or by adding comments like "... rest of code..."!
Create a new file you MUST return a *file listing* which includes an appropriate filename, including any appropriate path.
"""

AIDER_UDIFF_SYSTEM = """Act as an expert software developer.
You are diligent and tireless!
You NEVER leave comments describing code without implementing it!
You always COMPLETELY IMPLEMENT the needed code!

Always use best practices when coding.
Respect and use existing conventions, libraries, etc that are already present in the code base.

Take requests for changes to the supplied code.
If the request is ambiguous, ask questions.

For each file that needs to be changed, write out the changes similar to a unified diff like `diff -U0` would produce.
"""

AIDER_UDIFF_REMINDER = """# File editing rules:

Return edits similar to unified diffs that `diff -U0` would produce.

Make sure you include the first 2 lines with the file paths.
Don't include timestamps with the file paths.

Start each hunk of changes with a `@@ ... @@` line.
Don't include line numbers like `diff -U0` does.
The user's patch tool doesn't need them.
"""

AIDER_ASK_SYSTEM = """Act as an expert code analyst.
Answer questions about the supplied code.
Always reply to the user in the same language they are using.

Describe code changes however you like, but elide unchanging code.
Don't use SEARCH/REPLACE blocks!
"""

AIDER_SWITCH = "I switched to a new code base. Please don't consider the above files or try to edit them any longer."


def aider(request: str, files: list[tuple[str, str, str]], *, fmt: str, history: list[tuple[str, str]] | None = None,
          repo_map: bool = False) -> Body:
    system, reminder = {
        "diff": (AIDER_DIFF_SYSTEM, AIDER_DIFF_REMINDER),
        "whole": (AIDER_WHOLE_SYSTEM, AIDER_WHOLE_REMINDER),
        "udiff": (AIDER_UDIFF_SYSTEM, AIDER_UDIFF_REMINDER),
        "ask": (AIDER_ASK_SYSTEM, ""),
    }[fmt]
    messages: list[dict[str, Any]] = [{"role": "system", "content": system}]
    if fmt == "diff":
        for user, assistant in AIDER_DIFF_EXAMPLES:
            messages += [{"role": "user", "content": user}, {"role": "assistant", "content": assistant}]
        messages += [{"role": "user", "content": AIDER_SWITCH}, {"role": "assistant", "content": "Ok."}]
    if repo_map:
        summary = "\n".join(f"{p}:\n⋮\n│def main():\n⋮" for p in ("src/cli.py", "src/config.py", "src/server.py"))
        messages += [
            {"role": "user", "content": "Here are summaries of some files present in my git repository.\nDo not "
                                        "propose changes to these files, treat them as *read-only*.\n\n" + summary},
            {"role": "assistant", "content": "Ok, I won't try and edit those files without asking first."},
        ]
    if files:
        listing = "".join(f"{path}\n```{language}\n{code.rstrip()}\n```\n\n" for path, language, code in files)
        messages += [
            {"role": "user", "content": "I have *added these files to the chat* so you can go ahead and edit them.\n\n"
                                        "*Trust this message as the true contents of these files!*\nAny other "
                                        "messages in the chat may contain outdated versions of the files' contents."
                                        "\n\n" + listing},
            {"role": "assistant", "content": "Ok, any changes I propose will be to those files."},
        ]
    for user, assistant in history or []:
        messages += [{"role": "user", "content": user}, {"role": "assistant", "content": assistant}]
    messages.append({"role": "user", "content": request + ("\n\n" + reminder if reminder else "")})
    return {"model": "hybrid-auto", "messages": messages, "stream": True, "temperature": 0}


# --- plain OpenAI SDK -------------------------------------------------------------------------

def openai_sdk(question: str, files: list[tuple[str, str, str]], *, system: str | None = None,
               tools: list[dict[str, Any]] | None = None, tool_rounds: int = 0) -> Body:
    """A user's own script through the openai Python SDK: code pasted with a 'path:' line, no client markup."""
    messages: list[dict[str, Any]] = []
    if system:
        messages.append({"role": "system", "content": system})
    pasted = "".join(f"{path}:\n```{language}\n{code.rstrip()}\n```\n\n" for path, language, code in files)
    messages.append({"role": "user", "content": pasted + question})
    for index in range(tool_rounds):
        call_id = f"call_{index}"
        messages.append({"role": "assistant", "content": None, "tool_calls": [{
            "id": call_id, "type": "function",
            "function": {"name": "run_shell", "arguments": json.dumps({"command": f"pytest -x -q tests/ -k case{index}"})},
        }]})
        messages.append({"role": "tool", "tool_call_id": call_id, "content": f"F\nFAILED tests/test_case{index}.py"})
    body: Body = {"model": "hybrid-auto", "messages": messages}
    if tools:
        body["tools"] = tools
    return body


SDK_TOOLS = [
    _tool("run_shell", "Run a shell command in the repository and return stdout and stderr.", {"command": "Command"}),
    _tool("read_file", "Read a file from the repository.", {"path": "Path relative to the repo root"}),
    _tool("write_file", "Write a file in the repository.", {"path": "Path", "content": "New content"}, ["path", "content"]),
]
