"""The one place that writes a coding tool's configuration file.

Every write of a Continue, Cline or Aider file goes through :func:`write_files`:

- the same content twice changes nothing (no write, no backup, no manifest);
- the previous bytes of each file are copied to a timestamped folder under
  ``app_paths().backups_dir`` together with a ``manifest.json``, written *before*
  any file is touched, so :func:`undo_last` can restore the exact previous bytes
  (or delete a file this run created) even after a crash half-way;
- each file is replaced atomically (``hybridcoder.atomic``): the tools reload on
  change and Continue treats an empty file as missing;
- a file that holds the proxy token is planned with ``mode=0o600`` and written so even
  when the user's copy was 0644 (the temp file is chmod-ed before the rename, so the
  token is never readable by others, not even for a moment); the manifest keeps the old
  mode and undo puts it back; backups are always 0600 in a 0700 folder;
- a dry run writes nothing and returns a unified diff instead.

This module must never write a file outside an explicit plan, never overwrite a
backup, and never print the contents of a file marked sensitive (it holds keys).
"""

from __future__ import annotations

import difflib
import hashlib
import json
import logging
import os
import stat
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from hybridcoder.atomic import atomic_write_bytes
from hybridcoder.clients.errors import ConfigWriteError
from hybridcoder.paths import app_paths

log = logging.getLogger(__name__)

MANIFEST_NAME = "manifest.json"
#: New files hold the proxy token, so only the user may read them (Continue does the same).
NEW_FILE_MODE = 0o600


@dataclass(frozen=True)
class PlannedFile:
    """The bytes a file should hold after this run (None: the file should not exist)."""

    path: Path
    content: bytes | None
    #: Permission bits to force: 0o600 for every file that holds the proxy token or a key
    #: (Continue's config.yaml, aider's conf, Cline's secrets/providers); None keeps the file's own.
    mode: int | None = None
    #: The file holds secrets: a dry run says it would change but never shows its text.
    sensitive: bool = False


@dataclass(frozen=True)
class FileResult:
    """What happened to one file."""

    path: Path
    #: "created", "updated", "made private", "unchanged", "would create", "would update",
    #: "would make private", "restored", "deleted".
    action: str
    backup: Path | None = None


@dataclass
class WriteOutcome:
    """The result of one :func:`write_files` or :func:`undo_last` call."""

    results: list[FileResult] = field(default_factory=list)
    #: Unified diff of what changed or would change (dry run); sensitive files are summarised.
    diff: str = ""
    #: The backup folder's manifest, or None when nothing was written.
    manifest: Path | None = None
    notes: list[str] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return any(r.action != "unchanged" for r in self.results)


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _read(path: Path) -> bytes | None:
    try:
        return path.read_bytes()
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise ConfigWriteError(
            f"Could not read {path} ({exc.strerror}); check its permissions and try again."
        ) from exc


def _through_link(planned: PlannedFile, outcome: WriteOutcome) -> PlannedFile:
    """A config that is a symlink (a dotfiles manager's) is edited where it points, keeping the link.

    An atomic replace of the link itself would swap it for a plain file, silently cutting the
    user's dotfiles repository off from the config; undo could not bring the link back.
    """
    if not planned.path.is_symlink():
        return planned
    target = planned.path.resolve()
    outcome.notes.append(f"{planned.path} is a link to {target}; that file was edited, so the link stays.")
    return replace(planned, path=target)


def _exposed(planned: PlannedFile, old: bytes | None) -> bool:
    """The file already holds the planned bytes but others may read what only the user should.

    Files written by an earlier version kept the user's 0644; a rerun must still close that.
    Only ever tightens, and leaves a file the user made read-only alone.
    """
    if old is None or planned.content is None or planned.mode is None or old != planned.content \
            or planned.mode & 0o077:
        return False
    current = planned.path.stat().st_mode & 0o777
    return bool(current & ~planned.mode & 0o077) and bool(current & stat.S_IWUSR)


def _diff(path: Path, old: bytes | None, new: bytes | None, sensitive: bool) -> str:
    if old == new:
        return ""
    if sensitive:
        verb = "create" if old is None else ("delete" if new is None else "update")
        return f"--- {path}\n+++ {path}\n(would {verb} this file; its contents hold keys and are not shown)\n"
    old_lines = [] if old is None else old.decode("utf-8", "replace").splitlines(keepends=True)
    new_lines = [] if new is None else new.decode("utf-8", "replace").splitlines(keepends=True)
    lines = list(difflib.unified_diff(
        old_lines, new_lines,
        fromfile="/dev/null" if old is None else str(path),
        tofile="/dev/null" if new is None else str(path),
    ))
    return "".join(line if line.endswith("\n") else line + "\n\\ No newline at end of file\n" for line in lines)


def _new_backup_folder(tool: str, kind: str) -> Path:
    root = app_paths().backups_dir
    root.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S-%f")
    folder = root / f"{stamp}-{tool}-{kind}"
    # A clock that did not move (or two processes at once) must never reuse a folder.
    suffix = 0
    while True:
        candidate = folder if suffix == 0 else folder.with_name(f"{folder.name}-{suffix}")
        try:
            candidate.mkdir(mode=0o700)
            return candidate
        except FileExistsError:
            suffix += 1


def _write_manifest(folder: Path, manifest: dict[str, Any]) -> Path:
    path = folder / MANIFEST_NAME
    atomic_write_bytes(path, (json.dumps(manifest, indent=2) + "\n").encode("utf-8"), mode=0o600)
    return path


def write_files(
    tool: str, files: Sequence[PlannedFile], *, dry_run: bool = False, kind: str = "configure"
) -> WriteOutcome:
    """Bring each file to its planned bytes, backing up what was there first.

    Files already holding the planned bytes are left alone; when all are, nothing
    at all is written (no backup folder either), which makes a rerun a no-op.
    """
    outcome = WriteOutcome()
    files = [_through_link(planned, outcome) for planned in files]
    current: list[tuple[PlannedFile, bytes | None]] = []
    for planned in files:
        old = _read(planned.path)
        current.append((planned, old))
        outcome.diff += _diff(planned.path, old, planned.content, planned.sensitive)
    to_write = [(p, old) for p, old in current if old != p.content or _exposed(p, old)]
    if dry_run:
        outcome.results = [
            FileResult(p.path, ("would make private" if _exposed(p, old) else "unchanged") if old == p.content else
                       ("would create" if old is None else "would delete" if p.content is None
                        else "would update"))
            for p, old in current
        ]
        return outcome
    if not to_write:
        outcome.results = [FileResult(p.path, "unchanged") for p, _ in current]
        return outcome
    for planned, old in to_write:
        # A file the user made read-only is a "hands off" sign; an atomic replace would
        # step around it, so ask instead of writing anything. (The mode bit, not
        # os.access: for root every file is writable.)
        if old is not None and not planned.path.stat().st_mode & stat.S_IWUSR:
            raise ConfigWriteError(
                f"{planned.path} is read-only, so it was left as it is; make it writable "
                f"(chmod u+w) and run `hybridcoder configure {tool}` again, or edit it by hand."
            )

    folder = _new_backup_folder(tool, kind)
    entries: list[dict[str, Any]] = []
    backups: dict[Path, Path] = {}
    for index, (planned, old) in enumerate(to_write):
        entry: dict[str, Any] = {"path": str(planned.path), "existed": old is not None,
                                 "written_sha256": _sha256(planned.content or b"")}
        if old is not None:
            backup = folder / f"{index:02d}-{planned.path.name}"
            atomic_write_bytes(backup, old, mode=0o600)
            entry["backup"] = backup.name
            entry["mode"] = planned.path.stat().st_mode & 0o777
            backups[planned.path] = backup
        entries.append(entry)
    manifest = {"version": 1, "tool": tool, "kind": kind,
                "created": datetime.now(UTC).isoformat(timespec="seconds"),
                "undone": False, "files": entries}
    outcome.manifest = _write_manifest(folder, manifest)

    for planned, old in current:
        if old == planned.content and planned.mode is not None and _exposed(planned, old):
            os.chmod(planned.path, planned.mode)
            outcome.results.append(FileResult(planned.path, "made private", backups.get(planned.path)))
            log.info("made %s private (%o)", planned.path, planned.mode)
            continue
        if old == planned.content:
            outcome.results.append(FileResult(planned.path, "unchanged"))
            continue
        if planned.content is None:  # only reached when the file exists (old != None)
            try:
                planned.path.unlink()
            except FileNotFoundError:
                pass
            except OSError as exc:
                raise ConfigWriteError(f"Could not remove {planned.path} ({exc.strerror}).") from exc
            outcome.results.append(FileResult(planned.path, "deleted", backups.get(planned.path)))
            log.info("removed %s", planned.path)
            continue
        mode = planned.mode if planned.mode is not None else (None if old is not None else NEW_FILE_MODE)
        try:
            atomic_write_bytes(planned.path, planned.content, mode=mode)
        except OSError as exc:
            raise ConfigWriteError(
                f"Could not write {planned.path} ({exc.strerror}); nothing else was changed after it — "
                f"run `hybridcoder configure {tool} --undo` to restore the files already written.",
                details=str(outcome.manifest),
            ) from exc
        outcome.results.append(FileResult(planned.path, "created" if old is None else "updated",
                                          backups.get(planned.path)))
        log.info("wrote %s (%s)", planned.path, "created" if old is None else "updated")
    return outcome


@dataclass(frozen=True)
class BackupRun:
    """One earlier run that can be undone."""

    folder: Path
    tool: str
    created: str
    undone: bool
    files: tuple[str, ...]


def _load_manifest(folder: Path) -> dict[str, Any] | None:
    try:
        data = json.loads((folder / MANIFEST_NAME).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def list_backups(tool: str | None = None) -> list[BackupRun]:
    """Earlier configure runs, newest first (undo runs are not listed: they cannot be undone)."""
    root = app_paths().backups_dir
    if not root.is_dir():
        return []
    runs: list[BackupRun] = []
    for folder in sorted(root.iterdir(), reverse=True):
        data = _load_manifest(folder) if folder.is_dir() else None
        if not data or data.get("kind") != "configure" or (tool and data.get("tool") != tool):
            continue
        runs.append(BackupRun(folder, str(data.get("tool")), str(data.get("created")),
                              bool(data.get("undone")),
                              tuple(str(f.get("path")) for f in data.get("files", []))))
    return runs


def undo_last(tool: str, *, dry_run: bool = False) -> WriteOutcome:
    """Restore the files of ``tool``'s latest run that was not undone yet.

    Files that existed get their exact previous bytes and permission bits back;
    files that run created are deleted. If a file was edited after our write,
    its current bytes are first saved to a new backup folder so nothing is lost.
    """
    outcome = WriteOutcome()
    run = next((r for r in list_backups(tool) if not r.undone), None)
    if run is None:
        outcome.notes.append(f"Nothing to undo for {tool}: no earlier change by Hybrid Coder was found.")
        return outcome
    manifest = _load_manifest(run.folder) or {}
    entries: list[dict[str, Any]] = list(manifest.get("files", []))
    plan: list[tuple[Path, bytes | None, int | None, bytes | None, str]] = []
    for entry in entries:
        path = Path(str(entry["path"]))
        now = _read(path)
        if entry.get("existed"):
            backup_name = str(entry.get("backup", ""))
            try:
                previous: bytes | None = (run.folder / backup_name).read_bytes()
            except OSError as exc:
                raise ConfigWriteError(
                    f"The backup of {path} in {run.folder} is missing or unreadable; it cannot be restored."
                ) from exc
            mode = int(entry["mode"]) if isinstance(entry.get("mode"), int) else None
        else:
            previous, mode = None, None
        plan.append((path, now, mode, previous, str(entry.get("written_sha256", ""))))
        outcome.diff += _diff(path, now, previous, path.name == "secrets.json")
    if dry_run:
        outcome.results = [FileResult(p, "unchanged" if now == prev else
                                      ("would delete" if prev is None else "would restore"))
                           for p, now, _, prev, _ in plan]
        return outcome

    edited = [(p, now) for p, now, _, prev, sha in plan
              if now is not None and now != prev and _sha256(now) != sha]
    if edited:
        keep = _new_backup_folder(tool, "undo")
        for index, (path, now) in enumerate(edited):
            atomic_write_bytes(keep / f"{index:02d}-{path.name}", now, mode=0o600)
        _write_manifest(keep, {"version": 1, "tool": tool, "kind": "undo",
                               "created": datetime.now(UTC).isoformat(timespec="seconds"),
                               "files": [{"path": str(p), "backup": f"{i:02d}-{p.name}"}
                                         for i, (p, _) in enumerate(edited)]})
        outcome.notes.append(
            f"{len(edited)} file(s) were edited after Hybrid Coder wrote them; those edits were saved in {keep}."
        )
    for path, now, mode, previous, _ in plan:
        if previous is None:
            if now is not None:
                try:
                    path.unlink()
                except FileNotFoundError:
                    pass
                except OSError as exc:
                    raise ConfigWriteError(f"Could not remove {path} ({exc.strerror}).") from exc
                outcome.results.append(FileResult(path, "deleted"))
            else:
                outcome.results.append(FileResult(path, "unchanged"))
            continue
        if now == previous and (mode is None or (path.stat().st_mode & 0o777) == mode):
            outcome.results.append(FileResult(path, "unchanged"))
            continue
        try:
            atomic_write_bytes(path, previous, mode=mode)
        except OSError as exc:
            raise ConfigWriteError(f"Could not restore {path} ({exc.strerror}).") from exc
        outcome.results.append(FileResult(path, "restored", run.folder))
    manifest["undone"] = True
    manifest["undone_at"] = datetime.now(UTC).isoformat(timespec="seconds")
    _write_manifest(run.folder, manifest)
    outcome.manifest = run.folder / MANIFEST_NAME
    return outcome


def file_mode(path: Path) -> int | None:
    """Permission bits of ``path`` or None when it does not exist (for tests and reports)."""
    try:
        return os.stat(path).st_mode & 0o777
    except FileNotFoundError:
        return None

