"""Files and artifacts (issue 22): what they cost the training thread, and the store's throughput.

    python benchmarks/bench_artifacts.py                 # a 256 MiB file (--mib to change)

In a fresh logdir, with a file of ``--mib`` MiB of random bytes:

- ``run.save(file, policy="now")``: how long the call takes (the copy runs on the run's worker thread), and
  how long a logging thread's longest pause between ``log()`` calls is while the copy runs; then how long
  ``finish()`` waits for it;
- ``log_artifact`` of the file: the first time (hash + copy into the store), and again in a second version
  (the blob exists: hashed, not copied), as MB/s; ``use_artifact(...).download()`` (copy out, sha256-checked);
- a second ``init()``'s cost with the environment recorded (host, packages, git) on a daemon thread: the time of
  ``init()`` and the time until ``environment/<writer>.json`` exists.

Checks: ``save()`` returns in < 50 ms whatever the size; a second version of the same bytes adds no blob.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import add_results_options, code_state, machine_info, save_results

SAVE_LIMIT_S = 0.05


def measure(mib: int) -> dict[str, Any]:
    import nbtrack
    from nbtrack.store.artifacts import ArtifactStore

    out: dict[str, Any] = {}
    with tempfile.TemporaryDirectory(prefix="nbtrack-artifacts-") as tmp:
        root = Path(tmp)
        big = root / "model.bin"
        with open(big, "wb") as f:
            for _ in range(mib):
                f.write(os.urandom(2**20))
        logdir = root / "runs"

        nbtrack.init(dir=logdir, name="warm").finish()  # the imports of a first init() are not measured
        t0 = time.perf_counter()
        run = nbtrack.init(dir=logdir, name="bench")
        out["init_s"] = time.perf_counter() - t0
        env_dir = run.dir / "environment"
        while not (env_dir.is_dir() and any(env_dir.iterdir())) and time.perf_counter() - t0 < 10:
            time.sleep(0.001)
        out["environment_s"] = time.perf_counter() - t0

        gaps: list[float] = []
        stop = threading.Event()

        def logging() -> None:
            last = time.perf_counter()
            i = 0
            while not stop.is_set():
                run.log({"loss": float(i)})
                i += 1
                now = time.perf_counter()
                gaps.append(now - last)
                last = now
                time.sleep(0.0005)

        thread = threading.Thread(target=logging)
        thread.start()
        time.sleep(0.2)
        t0 = time.perf_counter()
        run.save(str(big), policy="now")
        out["save_call_s"] = time.perf_counter() - t0
        run._saver.wait()
        out["copy_s"] = time.perf_counter() - t0
        stop.set()
        thread.join()
        out["longest_log_gap_s"] = max(gaps)

        for label in ("first", "again"):
            art = nbtrack.Artifact("model", "model")
            art.add_file(big)
            t0 = time.perf_counter()
            run.log_artifact(art)
            out[f"log_artifact_{label}_s"] = time.perf_counter() - t0
        out["blobs"] = ArtifactStore(logdir).count_blobs()
        t0 = time.perf_counter()
        run.use_artifact("model:latest").download(root / "out")
        out["download_s"] = time.perf_counter() - t0
        t0 = time.perf_counter()
        run.finish()
        out["finish_s"] = time.perf_counter() - t0
    return out


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--mib", type=int, default=256, help="size of the file saved and logged (MiB)")
    add_results_options(p)
    args = p.parse_args()
    raw: dict[str, Any] = {"machine": machine_info(), "code": code_state(), "mib": args.mib}
    r = raw["result"] = measure(args.mib)
    mb = args.mib * 2**20 / 1e6
    checks = [(f"save() of a {args.mib} MiB file returns in < {SAVE_LIMIT_S * 1000:.0f} ms", r["save_call_s"] < SAVE_LIMIT_S),
              ("a second version of the same bytes adds no blob", r["blobs"] == 1)]
    lines = [f"Machine: {raw['machine']['cpu']}, {raw['machine']['cores']} cores; load "
             f"{raw['machine']['load average at start (1/5/15 min)']}; code {raw['code']}", "",
             f"A file of {args.mib} MiB of random bytes:", "",
             "| step | time | rate |", "|---|---|---|",
             f"| `init()` (environment on a thread) | {r['init_s'] * 1000:.1f} ms | |",
             f"| environment file written, after `init()` began | {r['environment_s'] * 1000:.1f} ms | |",
             f"| `run.save(file, policy=\"now\")` call | {r['save_call_s'] * 1000:.2f} ms | |",
             f"| its copy, on the worker thread | {r['copy_s']:.2f} s | {mb / r['copy_s']:.0f} MB/s |",
             f"| longest pause of a thread calling `log()` meanwhile | {r['longest_log_gap_s'] * 1000:.1f} ms | |",
             f"| `log_artifact`, new bytes (hash, then copy + hash) | {r['log_artifact_first_s']:.2f} s | "
             f"{mb / r['log_artifact_first_s']:.0f} MB/s |",
             f"| `log_artifact`, same bytes in a new version | {r['log_artifact_again_s']:.2f} s | "
             f"{mb / r['log_artifact_again_s']:.0f} MB/s |",
             f"| `use_artifact(...).download()` (sha256-checked) | {r['download_s']:.2f} s | "
             f"{mb / r['download_s']:.0f} MB/s |",
             f"| `finish()` | {r['finish_s'] * 1000:.0f} ms | |",
             "", *(f"- {'PASS' if ok else 'FAIL'}: {name}" for name, ok in checks)]
    body = "\n".join(lines)
    print(body)
    save_results(args, "bench_artifacts", "default", body, raw)
    return 0 if all(ok for _, ok in checks) else 1


if __name__ == "__main__":
    sys.exit(main())
