"""Two processes calling ``init(id=X, resume="allow")`` at once both get the run (issue 17 item 7).

One creates it, the other resumes it, whatever the interleaving. Real processes, released
together by a barrier file, several trials in a row (each child loops over the trials, so
the interpreter starts only twice).
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import nbtrack

REPO = Path(__file__).resolve().parents[2]
TRIALS = 20
CHILDREN = 2
TIMEOUT = 60.0

CHILD = """
import os, sys, time
import nbtrack
logdir, me, trials = sys.argv[1], sys.argv[2], int(sys.argv[3])
for k in range(trials):
    open(os.path.join(logdir, f".ready-{k}-{me}"), "w").close()
    barrier = os.path.join(logdir, f".go-{k}")
    while not os.path.exists(barrier):
        pass  # spin: both children leave the barrier as close together as possible
    try:
        run = nbtrack.init(project="race", dir=logdir, id=f"race{k}", resume="allow", reinit="create_new")
    except Exception as error:
        print("FAILED", k, type(error).__name__, error, flush=True)
        continue
    run.log({me: float(k)})
    run.finish()
    print("OK", k, run.resumed, flush=True)
"""


def _env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("NBTRACK_")}
    env["PYTHONPATH"] = str(REPO) + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    return env


def _release(logdir: Path, k: int) -> None:
    deadline = time.monotonic() + TIMEOUT
    while not all((logdir / f".ready-{k}-c{i}").exists() for i in range(CHILDREN)):
        assert time.monotonic() < deadline, f"children never reached trial {k}"
        time.sleep(0.002)
    (logdir / f".go-{k}").touch()


def test_concurrent_create_or_resume_of_one_id(tmp_path):
    logdir = tmp_path / "runs"
    logdir.mkdir()
    children = [subprocess.Popen([sys.executable, "-c", CHILD, str(logdir), f"c{i}", str(TRIALS)],
                                 stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=_env())
                for i in range(CHILDREN)]
    try:
        for k in range(TRIALS):
            _release(logdir, k)
        outputs = [child.communicate(timeout=TIMEOUT) for child in children]
    finally:
        for child in children:
            if child.poll() is None:
                child.kill()
                child.wait()
    lines = [line.split() for out, _ in outputs for line in out.splitlines()]
    failed = [" ".join(line) for line in lines if line[0] == "FAILED"]
    assert not failed, failed
    assert all(child.returncode == 0 for child in children), [err for _, err in outputs]
    for k in range(TRIALS):
        resumed = sorted(line[2] for line in lines if line[0] == "OK" and line[1] == str(k))
        assert resumed == ["False", "True"], (k, resumed)  # one created it, the other resumed it
        run = nbtrack.open(logdir).run(f"race{k}")
        assert sorted(run.scalar_tags()) == ["c0", "c1"] and run.damage == []
