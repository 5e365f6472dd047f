"""Child process for tests/test_processes.py and tests/store/test_corruption.py: logs a deterministic
sequence into a run.

Prints ``READY <first step>`` after init, ``FLUSHED <step>`` after each explicit
``run.flush()`` (every record up to that step is on disk), and ``DONE`` after finish.
``--steps -1`` logs forever (until killed). ``--end abort`` exits without finishing.
"""

from __future__ import annotations

import argparse
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from common import value

import nbtrack


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--dir", required=True)
    p.add_argument("--id", required=True)
    p.add_argument("--tags", default="a")
    p.add_argument("--steps", type=int, default=100)
    p.add_argument("--resume", default=None)
    p.add_argument("--flush-interval", type=float, default=1.0)
    p.add_argument("--flush-every", type=int, default=0, help="explicit run.flush() every N steps")
    p.add_argument("--sleep-every", type=int, default=0)
    p.add_argument("--sleep", type=float, default=0.0)
    p.add_argument("--wait-file", default=None, help="pause until this file exists ...")
    p.add_argument("--wait-at", type=int, default=0, help="... after logging this many steps")
    p.add_argument("--end", choices=("finish", "abort"), default="finish")
    args = p.parse_args()

    tags = args.tags.split(",")
    run = nbtrack.init(project="proc", dir=args.dir, id=args.id, resume=args.resume,
                       flush_interval=args.flush_interval)
    print("READY", run.step, flush=True)
    i = 0
    while args.steps < 0 or i < args.steps:
        if args.wait_file and i == args.wait_at:
            print("WAITING", run.step, flush=True)
            while not os.path.exists(args.wait_file):
                time.sleep(0.005)
        step = run.step
        run.log({t: value(t, step) for t in tags})
        i += 1
        if args.flush_every and i % args.flush_every == 0:
            run.flush()
            print("FLUSHED", step, flush=True)
        if args.sleep_every and i % args.sleep_every == 0:
            time.sleep(args.sleep)
    if args.end == "abort":
        run.flush()
        print("FLUSHED", run.step - 1, flush=True)
        os._exit(3)
    run.finish()
    print("DONE", run.step, flush=True)


if __name__ == "__main__":
    main()
