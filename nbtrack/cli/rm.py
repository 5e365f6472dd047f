"""``nbtrack rm LOGDIR RUN...``: runs moved to ``LOGDIR/.trash/`` (or deleted with ``--purge``).

Nothing outside LOGDIR is ever moved or deleted (``nbtrack/store/trash.py`` checks each folder);
a running run, and a run folder holding other runs that were not named, are refused unless
``--force``.
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from nbtrack.errors import FormatError, RunNotFoundError

from ._common import FAILURE, USAGE, compile_regex, existing_logdir, fail, warn, warnings_to_stderr


@dataclass(frozen=True)
class Target:
    """A run to remove: its folder, and what is known of it (a damaged run named by folder has no reader)."""

    folder: Path
    id: str
    name: str
    status: str
    reader: Any = None

    def label(self) -> str:
        """``id`` or ``id (name)``."""
        return self.id if self.name in ("", self.id) else f"{self.id} ({self.name})"


def run_rm(args: argparse.Namespace) -> int:
    """Move (or delete) the chosen runs; exit 2 for a run that is not there, 1 when a run is refused or fails."""
    import nbtrack

    root = existing_logdir(args.logdir)
    pattern = compile_regex("--runs", args.runs)
    if not args.run and pattern is None:
        fail("name the runs to remove: RUN (an id, a name, or a run folder under LOGDIR) or --runs REGEX")
    if args.purge and not (args.yes or args.dry_run) and not sys.stdin.isatty():
        fail("--purge deletes runs for good and there is no terminal to ask for confirmation; add --yes")
    with warnings_to_stderr("rm"):
        logdir = nbtrack.open(root)
        readers = logdir.select()
        targets = _targets(root, logdir, readers, args.run, pattern, args.runs)
        _refuse(targets, readers, args.force)
    targets.sort(key=lambda t: len(t.folder.parts), reverse=True)  # runs nested in a chosen run go first
    verb = "delete" if args.purge else "move"
    if args.dry_run:
        for target in targets:
            where = "for good" if args.purge else f"to {root / '.trash'}/"
            print(f"would {verb} {target.label()}: {target.folder} {where}")
        print(f"dry run: {len(targets)} run{'s' * (len(targets) != 1)} would be {verb}d; nothing changed")
        return 0
    if args.purge and not args.yes and not _confirm(targets):
        print("nothing deleted")
        return FAILURE
    return _remove(root, targets, args.purge)


def _targets(root: Path, logdir: Any, readers: list[Any], names: list[str], pattern: Any,
             regex: str | None) -> list[Target]:
    """The runs named (ids, names, folders) and matched by ``--runs``, each once; exit 2 for one not found."""
    chosen: dict[Path, Target] = {}
    for name in names:
        target = _named(root, logdir, name)
        chosen.setdefault(target.folder, target)
    if pattern is not None:
        matched = [r for r in readers if pattern.search(r.name) or pattern.search(r.id)]
        if not matched:
            fail(f"--runs {regex!r} matches no run id or name in {str(logdir.path)!r} ({len(readers)} runs)")
        for reader in matched:
            chosen.setdefault(Path(reader.path), _of_reader(reader))
    return list(chosen.values())


def _named(root: Path, logdir: Any, name: str) -> Target:
    """The run with this id or name, else the run folder at this path under the logdir (a damaged run)."""
    try:
        return _of_reader(logdir.run(name))
    except (RunNotFoundError, FormatError) as exc:
        folder = root / name
        if not Path(name).is_absolute() and ".." not in Path(name).parts and _looks_like_run(folder):
            return Target(folder, folder.name, folder.name, "unknown")
        fail(f"RUN {name!r}: {exc}", USAGE)


def _looks_like_run(folder: Path) -> bool:
    """A folder with ``run.json``, ``writers/`` or ``data/`` (an nbtrack run, perhaps damaged)."""
    return folder.is_dir() and any((folder / part).exists() for part in ("run.json", "writers", "data"))


def _of_reader(reader: Any) -> Target:
    """A target from a run reader (status read now)."""
    try:
        status = reader.status
    except FormatError:
        status = "unknown"
    return Target(Path(reader.path), reader.id, reader.name, status, reader)


def _refuse(targets: list[Target], readers: list[Any], force: bool) -> None:
    """Exit 1 for a running run, or a run folder holding runs that were not chosen, unless ``force``."""
    if force:
        return
    running = [t.label() for t in targets if t.status == "running"]
    if running:
        fail(f"refused: {', '.join(running)} {'is' if len(running) == 1 else 'are'} running (a process is "
             "writing it); stop it first, or pass --force", FAILURE)
    chosen = {t.folder for t in targets}
    for target in targets:
        inside = [r.name for r in readers if target.folder in Path(r.path).parents and Path(r.path) not in chosen]
        if inside:
            fail(f"refused: run folder {target.folder} holds other runs ({', '.join(inside[:5])}); "
                 "name them too, or pass --force", FAILURE)


def _confirm(targets: list[Target]) -> bool:
    """Ask on the terminal before deleting for good."""
    names = ", ".join(t.label() for t in targets[:5]) + (" ..." if len(targets) > 5 else "")
    try:
        answer = input(f"delete {len(targets)} run{'s' * (len(targets) != 1)} for good ({names})? [y/N] ")
    except EOFError:
        return False
    return answer.strip().lower() in ("y", "yes")


def _remove(root: Path, targets: list[Target], purge: bool) -> int:
    """Trash or delete each target; a failure is a line on stderr and exit 1, the others still done."""
    from nbtrack.store.trash import purge_run, trash_run

    failed = 0
    for target in targets:
        try:
            if purge:
                purge_run(root, target.reader or target.folder)
                print(f"deleted {target.label()}: {target.folder}")
            else:
                where = trash_run(root, target.reader or target.folder)
                print(f"moved {target.label()} to {where}")
        except (OSError, ValueError) as exc:
            failed += 1
            warn("rm", f"{target.label()}: {exc}")
    done = len(targets) - failed
    what = "deleted" if purge else f"moved to {root / '.trash'} (move a folder back to restore it)"
    print(f"{done} run{'s' * (done != 1)} {what}" + (f"; {failed} failed" if failed else ""))
    return FAILURE if failed else 0
