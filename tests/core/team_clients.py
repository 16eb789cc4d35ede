"""Team-mode client processes for tests/core/test_team_stress.py, run as scripts.

Each is a separate program with its own connection, as a person's desktop
client would be:

``stress URL USER K SHARED RESULT``
    Prints ``ready``, waits for ``go`` on stdin (so all clients start
    together), then K times: adds a shape of its own (attribute ``tag``
    naming it), and increments the ``count`` attribute of one of the SHARED
    annotation ids (comma separated) from the content it read; every other
    step it undoes that increment when it was made.  Writes a JSON record of
    what was acknowledged (the push or undo returned) and what was refused
    with a ConflictError to RESULT.

``loop URL USER ACKS STOP``
    Adds shapes in a loop until the file STOP exists.  Before each attempt
    it appends ``try TAG`` to ACKS, after each acknowledged push ``ack TAG``
    (flushed and fsynced: what the client was told is on disk before it goes
    on); an :class:`~annotator.errors.OfflineError` is printed as one line
    on stderr, noted as ``offline`` in ACKS, and the client tries again.
"""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path
from typing import IO, Any

from annotator.commands import AddAnnotations, change_attributes
from annotator.errors import ConflictError, OfflineError
from annotator.model import Annotation, Box
from annotator.project import Project


def shape(item: int, tag: str, x: float) -> Annotation:
    return Annotation(None, item, "car", Box.from_corners(x, 1, x + 4, 5),
                      {"count": 0, "tag": tag})


def stress(url: str, user: str, steps: int, shared: list[int], result: Path) -> None:
    record: dict[str, Any] = {"user": user, "added": [], "add_refused": [], "changed": [],
                              "conflicts": [], "undone": [], "undo_refused": [], "attempts": 0}
    with Project.open(url, user) as project:
        print("ready", flush=True)
        if sys.stdin.readline().strip() != "go":
            raise SystemExit("no go")
        worker = int(user.removeprefix("w"))
        for step in range(steps):
            tag = f"{user}-{step}"
            try:
                project.stack.push(AddAnnotations([shape(1 + step % 3, tag, worker + step)]))
                record["added"].append(tag)
            except ConflictError:
                record["add_refused"].append(tag)
            target = shared[(worker + step) % len(shared)]
            seen = project.store.get_annotation(target)
            assert seen is not None
            record["attempts"] += 1
            command = change_attributes([seen], {"count": int(seen.attributes["count"]) + 1})
            try:
                project.stack.push(command)
                record["changed"].append(target)
            except ConflictError as exc:
                record["conflicts"].append({"id": target, "reported": exc.annotation_id,
                                            "theirs": exc.theirs is not None,
                                            "message": str(exc)})
                continue
            if step % 2:  # take every other change back: undo checks the shape too
                try:
                    project.stack.undo()
                    record["undone"].append(target)
                except ConflictError:
                    record["undo_refused"].append(target)
    partial = result.with_suffix(".part")
    partial.write_text(json.dumps(record))
    partial.rename(result)


def _note(log: IO[str], line: str) -> None:
    log.write(line + "\n")
    log.flush()
    os.fsync(log.fileno())


def loop(url: str, user: str, acks: Path, stop: Path) -> None:
    project = Project.open(url, user)
    n = 0
    with acks.open("a") as log:
        while not stop.exists():
            n += 1
            tag = f"{user}-{n}"
            _note(log, f"try {tag}")
            try:
                project.stack.push(AddAnnotations([shape(1, tag, n)]))
            except OfflineError as exc:
                print(exc, file=sys.stderr, flush=True)
                _note(log, "offline")
                time.sleep(0.1)
                continue
            _note(log, f"ack {tag}")
            time.sleep(0.01)
    project.close()


if __name__ == "__main__":
    mode, url, user = sys.argv[1:4]
    if mode == "stress":
        stress(url, user, int(sys.argv[4]), [int(s) for s in sys.argv[5].split(",")],
               Path(sys.argv[6]))
    else:
        loop(url, user, Path(sys.argv[4]), Path(sys.argv[5]))
