"""``Run.watch`` overhead: a training step with and without gradient/parameter histograms, against ``wandb.watch``.

    python benchmarks/bench_watch.py                  # 784-256-10 MLP, batch 64, 20 rounds of 200 steps each
    python benchmarks/bench_watch.py --rounds 5       # quicker

One process, four identical models (same seed), each trained by the same SGD step; the
cases run in interleaved blocks (the order rotates every round), so machine load hits them
alike:

* *nbtrack, no watch*: step + ``run.log({"loss": ...})``
* *nbtrack watch*: the same, the model under ``run.watch(model, log="all", log_freq=100)``
* *wandb, no watch*: step + ``wandb.log({"loss": ...})`` in ``wandb.init(mode="offline")``
* *wandb.watch*: the same, the model under ``wandb.watch(model, log="all", log_freq=100)``

Every step is timed (``perf_counter``); reported: mean, p50, p99 and max step time, and each
watch's overhead over its own tracker's unwatched step (mean: the histogram steps amortised).
torch runs on one intra-op thread (``--threads``) so that the step time is stable on a shared
machine. The bound (issue 22): nbtrack's mean overhead under 5 % of the step time.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import add_results_options, code_state, machine_info, save_results, versions
from _worker import offline_wandb_init

CASES = ("nbtrack, no watch", "nbtrack watch", "wandb, no watch", "wandb.watch")
BOUND = 0.05


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=20, help="interleaved rounds (default 20)")
    parser.add_argument("--steps", type=int, default=200, help="steps per case per round (default 200)")
    parser.add_argument("--log-freq", type=int, default=100)
    parser.add_argument("--threads", type=int, default=1, help="torch intra-op threads (default 1)")
    add_results_options(parser)
    args = parser.parse_args()

    import torch
    import wandb

    import nbtrack

    torch.set_num_threads(args.threads)
    workdir = tempfile.mkdtemp(prefix="bench_watch_")

    def make_model() -> torch.nn.Module:
        torch.manual_seed(0)
        return torch.nn.Sequential(torch.nn.Linear(784, 256), torch.nn.ReLU(), torch.nn.Linear(256, 10))

    models = {case: make_model() for case in CASES}
    optimizers = {case: torch.optim.SGD(m.parameters(), lr=0.01) for case, m in models.items()}
    x, y = torch.randn(64, 784), torch.randint(0, 10, (64,))

    run = nbtrack.init(dir=f"{workdir}/nbtrack", name="watch")
    wandb_run, _ = offline_wandb_init(wandb, "bench_watch", workdir, {})
    run.watch(models["nbtrack watch"], log="all", log_freq=args.log_freq)
    from nbtrack.integrations import torch as watching

    in_hooks = [0.0]  # seconds the training thread spends binning and logging in nbtrack's hooks
    log_tensors = watching.Watcher.log_tensors

    def timed_log_tensors(self: object, tensors: list) -> None:
        s = time.perf_counter()
        log_tensors(self, tensors)
        in_hooks[0] += time.perf_counter() - s

    watching.Watcher.log_tensors = timed_log_tensors  # type: ignore[method-assign]
    wandb.watch(models["wandb.watch"], log="all", log_freq=args.log_freq)
    loggers = {"nbtrack, no watch": run.log, "nbtrack watch": run.log,
               "wandb, no watch": wandb_run.log, "wandb.watch": wandb_run.log}
    times: dict[str, list[float]] = {case: [] for case in CASES}
    round_means: dict[str, list[float]] = {case: [] for case in CASES}  # one mean step time per block
    cpu: dict[str, float] = dict.fromkeys(CASES, 0.0)  # process CPU (all threads of this process) per case

    def block(case: str, n: int, keep: bool) -> None:
        model, opt, log = models[case], optimizers[case], loggers[case]
        out = times[case]
        for _ in range(n):
            s = time.perf_counter()
            opt.zero_grad(set_to_none=True)
            loss = torch.nn.functional.cross_entropy(model(x), y)
            loss.backward()
            opt.step()
            log({"loss": loss.item()})
            if keep:
                out.append(time.perf_counter() - s)

    started = time.time()
    load_before = machine_info()["load average at start (1/5/15 min)"]
    for case in CASES:  # warm-up: allocator, first histograms, first files
        block(case, 2 * args.log_freq, keep=False)
    in_hooks[0] = 0.0
    for r in range(args.rounds):
        order = CASES[r % len(CASES):] + CASES[:r % len(CASES)]
        for case in order:
            c = time.process_time()
            block(case, args.steps, keep=True)
            cpu[case] += time.process_time() - c
            round_means[case].append(statistics.fmean(times[case][-args.steps:]))
    run.finish()
    wandb_run.finish()
    elapsed = time.time() - started
    stored = nbtrack.open(f"{workdir}/nbtrack").run(run.id)
    logged = len(stored.histograms("gradients/0.weight"))

    stats = {case: {"mean": statistics.fmean(t), "p50": percentile(t, 0.5), "p99": percentile(t, 0.99),
                    "max": max(t), "n": len(t), "cpu": cpu[case] / len(t)} for case, t in times.items()}
    baseline = {"nbtrack watch": "nbtrack, no watch", "wandb.watch": "wandb, no watch"}
    overhead = {case: {f: stats[case][f] / stats[base][f] - 1 for f in ("mean", "p50")}
                for case, base in baseline.items()}
    for case, base in baseline.items():  # each round's block against the same round's unwatched block
        overhead[case]["rounds"] = statistics.median(w / b - 1 for w, b in zip(round_means[case], round_means[base]))
    cpu_overhead = stats["nbtrack watch"]["cpu"] / stats["nbtrack, no watch"]["cpu"] - 1
    ok = overhead["nbtrack watch"]["rounds"] < BOUND and cpu_overhead < BOUND

    lines = [
        "## `Run.watch` overhead against `wandb.watch` (bench_watch.py)",
        "",
        f"Run {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())} by `python benchmarks/bench_watch.py"
        f"{' ' + ' '.join(sys.argv[1:]) if sys.argv[1:] else ''}`, {elapsed:.0f} s in all. A 784-256-10 MLP, batch "
        f"64, SGD, one process, torch on {args.threads} thread(s); {args.rounds} interleaved rounds of "
        f"{args.steps} steps per case (after {2 * args.log_freq} warm-up steps each); `log=\"all\"`, "
        f"`log_freq={args.log_freq}`. Each case logs its loss every step to its tracker; the overhead is over the "
        "same tracker's unwatched step (process CPU: per step, every thread of this process, nbtrack's "
        "writer included; wandb's separate wandb-core process not counted); "
        "the check takes, round by round, the watched block's mean step time over the unwatched block's (each "
        f"block holds {args.steps // args.log_freq} histogram steps) and the median of those ratios, which load "
        "spikes on this shared machine move least.",
        "",
        f"**Machine:** {'; '.join(f'{k}: {v}' for k, v in machine_info().items())} "
        f"(load average before: {load_before})",
        "",
        f"**Versions:** {', '.join(f'{k} {v}' for k, v in versions(['nbtrack', 'torch', 'wandb']).items())}; "
        f"repo: {code_state()}",
        "",
        "| case | steps | mean ms | p50 ms | p99 ms | max ms | process CPU ms | overhead: median of rounds | of the means | "
        "of the p50s |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for case in CASES:
        s = stats[case]
        o = overhead.get(case)
        cells = [f"{o[f]:+.1%}" for f in ("rounds", "mean", "p50")] if o else ["", "", ""]
        lines.append(f"| {case} | {s['n']:,} | {s['mean'] * 1e3:.3f} | {s['p50'] * 1e3:.3f} | {s['p99'] * 1e3:.3f} | "
                     f"{s['max'] * 1e3:.2f} | {s['cpu'] * 1e3:.3f} | {' | '.join(cells)} |")
    hook_share = in_hooks[0] / len(times["nbtrack watch"])
    lines += ["", f"Time nbtrack's hooks take on the training thread (binning a GPU tensor; copying a CPU one for the "
              f"writer thread, and logging): {hook_share * 1e6:.1f} us per step amortised, "
              f"{hook_share / stats['nbtrack, no watch']['mean']:.2%} of the unwatched mean step.", "",
              f"nbtrack stored {logged} histograms of `gradients/0.weight` (one every {args.log_freq} steps of "
              "the watched model).", "",
              "| check | measured | limit | result |", "|---|---|---|---|",
              f"| nbtrack watch overhead on the mean step time (median of the rounds' ratios), "
              f"log_freq={args.log_freq} | {overhead['nbtrack watch']['rounds']:+.1%} | < {BOUND:.0%} | "
              f"**{'PASS' if overhead['nbtrack watch']['rounds'] < BOUND else 'FAIL'}** |",
              f"| nbtrack watch overhead on process CPU per step (the writer's binning included) | "
              f"{cpu_overhead:+.1%} | < {BOUND:.0%} | **{'PASS' if cpu_overhead < BOUND else 'FAIL'}** |"]
    body = "\n".join(lines)
    print(body)
    save_results(args, "bench_watch", "results", body, {"stats": stats, "overhead": overhead, "args": vars(args),
                                                         "in_hooks_per_step": hook_share})
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
