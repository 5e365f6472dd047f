"""Seeded fuzz of a run's manifests: ``run.json`` and the writer manifest (issue 17 item 13, their part).

Manifests are JSON without a checksum, so the promise for them is validation, not the
detection of every flipped digit: 6 test items x 50 cases = 300 cases, each a copy of one
small known-good run with one manifest mutated, read through ``runs()``, ``history()``,
``scalars()``, the media of the run and the dashboard's snapshot. For every case:

- no exception from any of them, and the run's values are exactly the original ones (a
  manifest never changes what the data files hold);
- a manifest that is no longer a JSON object (a flipped byte that breaks the syntax, a cut,
  deep nesting) is reported in ``damage`` or ``problems``;
- a field given a value of a type FORMAT.md does not allow is reported, and the run is still
  listed by ``runs()`` with what is readable.
"""

from __future__ import annotations

import json
import random
import shutil
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import nbtrack
from nbtrack.dashboard.snapshot import snapshot_of

BATCHES, PER_BATCH = 6, 50

# values no field of that kind accepts (FORMAT.md's manifest tables), chosen independently of the reader's code
WRONG = {
    "object": ["x", [1, 2], 3.5, True],
    "time": ["soon", -5.0, 1e300, [1], {"t": 1}],
    "str": [123, [1], {"a": 1}, 2.5],
    "str_list": ["one", 5, [1, 2], {"a": "b"}],
    "int": ["7", 1.5, [7], {"n": 7}],
}
IDENTITY = {"config": "object", "created": "time", "name": "str", "project": "str", "tags": "str_list",
            "pid": "int", "id": "str"}
WRITER = {"config": "object", "summary": "object", "heartbeat": "time", "started": "time", "tags": "str_list",
          "name": "str", "status": "str", "step": "int", "files": "str_list", "exit_code": "int", "notes": "str"}


def _record(logdir: Path) -> None:
    rng = np.random.default_rng(2)
    with nbtrack.init(dir=logdir, id="good", name="good", config={"lr": 0.1, "opt": {"beta": 0.9}},
                      tags=["a"]) as run:
        for step in range(30):
            values: dict[str, Any] = {"loss": 1.0 / (step + 1), "acc": step / 30.0}
            if step % 10 == 0:
                values["w"] = nbtrack.Histogram(rng.normal(size=40), bins=4)
                values["note"] = nbtrack.Text(f"step {step}")
            run.log(values, step=step)


def _read(logdir: Path) -> tuple[dict[Any, Any], list[Any], list[str], int]:
    lg = nbtrack.open(logdir)
    table = lg.runs()
    readers = lg.readers()
    got: dict[Any, Any] = {}
    damage: list[Any] = []
    for r in readers:
        history = r.history()
        for tag in r.scalar_tags():
            frame = r.scalars(tag)
            got.update({("scalar", tag, s): v for s, v in zip(frame["step"].tolist(), frame["value"].tolist())})
            column = history[["_step", tag]].dropna()
            got.update({("history", tag, s): v for s, v in zip(column["_step"].tolist(), column[tag].tolist())})
        for tag, kind in r.media_tags().items():
            frame = r.histograms(tag) if kind == "histogram" else r.media(tag, decode=True)
            got[("media", tag)] = len(frame)
        snapshot_of([r])
        damage += list(r.damage)
    return got, damage, list(lg.problems), len(table)


@pytest.fixture(scope="module")
def good(tmp_path_factory) -> dict[str, Any]:
    logdir = tmp_path_factory.mktemp("manifest-fuzz-good")
    _record(logdir)
    got, damage, problems, listed = _read(logdir)
    assert got and not damage and not problems and listed == 1
    folder = logdir / "good"
    (writer,) = sorted((folder / "writers").glob("*.json"))
    return {"logdir": logdir, "values": got, "run.json": folder / "run.json", "writer": writer}


def _field_case(rng: random.Random, data: dict[str, Any], fields: dict[str, str]) -> tuple[str, bool]:
    key = rng.choice(sorted(fields))
    data[key] = rng.choice(WRONG[fields[key]])
    return json.dumps(data), True


def _text_case(rng: random.Random, text: str) -> tuple[str, bool]:
    choice = rng.randrange(4)
    if choice == 0:  # flip one byte
        i = rng.randrange(len(text))
        text = text[:i] + chr(rng.randrange(32, 127)) + text[i + 1:]
    elif choice == 1:  # cut
        text = text[: rng.randrange(len(text))]
    elif choice == 2:  # nested far deeper than any reader should follow
        depth = rng.choice([100, 5000, 100_000])
        text = text.rstrip()[:-1] + ', "deep": ' + "[" * depth + "]" * depth + "}"
    else:  # not an object at all
        text = rng.choice(["[]", "null", "42", '"run"', ""])
    try:
        broken = not isinstance(json.loads(text), dict)
    except (ValueError, RecursionError):
        broken = True
    return text, broken


def _check_case(good: dict[str, Any], seed: int, tmp: Path) -> None:
    rng = random.Random(seed)
    logdir = tmp / f"case-{seed}"
    shutil.copytree(good["logdir"], logdir)
    which = rng.choice(["run.json", "writer"])
    target = logdir / good[which].relative_to(good["logdir"])
    text = target.read_text()
    if rng.random() < 0.5:
        mutated, must_report = _field_case(rng, json.loads(text), IDENTITY if which == "run.json" else WRITER)
    else:
        mutated, must_report = _text_case(rng, text)
    target.write_text(mutated)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        got, damage, problems, listed = _read(logdir)
    where = f"seed {seed}: {which} -> {mutated[:120]!r}"
    for key, value in got.items():
        assert good["values"].get(key) == value, f"{where}: wrong value at {key}"
    if must_report:
        assert damage or problems, f"{where}: not reported"
    if which == "writer":
        assert listed == 1, f"{where}: a run with a bad writer manifest left runs()"
        assert got == good["values"], f"{where}: data lost through a bad writer manifest"


@pytest.mark.parametrize("batch", range(BATCHES))
def test_fuzz_manifests(good, tmp_path, batch):
    for seed in range(batch * PER_BATCH, (batch + 1) * PER_BATCH):
        _check_case(good, seed, tmp_path)
