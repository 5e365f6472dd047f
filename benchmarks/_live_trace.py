"""Where the browser's time goes during a loop: a Chrome trace and a JavaScript CPU profile of the page.

Used by ``bench_live.py`` in extra loops (not counted in its figures). :class:`PageTrace`: ``Tracing.start``
on the page's DevTools session, events collected as they are reported, then the complete ("X") events of
each thread folded into self time (an event's duration minus that of the events nested in it).
:class:`JsProfile`: the DevTools sampling profiler, folded into self time per function, and the heaviest
call chains into the function with the most self time.
"""

from __future__ import annotations

import threading
from collections import defaultdict
from typing import Any

CATEGORIES = ",".join([
    "devtools.timeline", "disabled-by-default-devtools.timeline", "v8.execute", "blink.user_timing", "toplevel",
    "blink", "cc", "gpu", "viz", "v8",
])


class PageTrace:
    """Start with :meth:`start`, end with :meth:`stop`; :meth:`summary` folds the events."""

    def __init__(self, cdp: Any, page: Any) -> None:
        self.cdp = cdp
        self.page = page
        self.events: list[dict[str, Any]] = []
        self._done = threading.Event()
        cdp.on("Tracing.dataCollected", lambda params: self.events.extend(params.get("value", [])))
        cdp.on("Tracing.tracingComplete", lambda params: self._done.set())

    def start(self) -> None:
        self.events.clear()
        self._done.clear()
        self.cdp.send("Tracing.start", {"categories": CATEGORIES, "transferMode": "ReportEvents"})

    def stop(self, timeout: float = 30) -> None:
        self.cdp.send("Tracing.end")
        waited = 0.0
        while not self._done.is_set() and waited < timeout:  # events arrive while Playwright dispatches
            self.page.wait_for_timeout(100)
            waited += 0.1

    def summary(self, top: int = 12) -> dict[str, Any]:
        """Self time (ms) per event name on each interesting thread, the ``top`` largest, plus totals."""
        names: dict[tuple[int, int], str] = {}
        for e in self.events:
            if e.get("ph") == "M" and e.get("name") == "thread_name":
                names[(e["pid"], e["tid"])] = e.get("args", {}).get("name", "")
        by_thread: dict[tuple[int, int], list[dict[str, Any]]] = defaultdict(list)
        for e in self.events:
            if e.get("ph") == "X" and "dur" in e:
                by_thread[(e["pid"], e["tid"])].append(e)
        out: dict[str, Any] = {}
        for key, events in by_thread.items():
            thread = names.get(key, f"tid {key[1]}")
            self_ms = _self_times(events)
            total = sum(self_ms.values())
            if total < 1.0:
                continue
            label = thread if thread not in out else f"{thread} ({key[0]}/{key[1]})"
            ranked = sorted(self_ms.items(), key=lambda kv: -kv[1])[:top]
            out[label] = {"total_ms": total, "top": [(n, ms) for n, ms in ranked]}
        return dict(sorted(out.items(), key=lambda kv: -kv[1]["total_ms"]))


def _self_times(events: list[dict[str, Any]]) -> dict[str, float]:
    """Self time per name, in ms, of one thread's complete events (nesting found from ts and dur)."""
    events = sorted(events, key=lambda e: (e["ts"], -e["dur"]))
    out: dict[str, float] = defaultdict(float)
    stack: list[list[Any]] = []  # [end, name, time in nested events, duration]
    for e in events:
        start, end = e["ts"], e["ts"] + e["dur"]
        while stack and stack[-1][0] <= start:
            _close(stack, out)
        stack.append([end, e["name"], 0.0, e["dur"]])
    while stack:
        _close(stack, out)
    return dict(out)


def _close(stack: list[list[Any]], out: dict[str, float]) -> None:
    _, name, child, dur = stack.pop()
    out[name] += max(0.0, dur - child) / 1000.0
    if stack:
        stack[-1][2] += dur


class JsProfile:
    """The page's JavaScript CPU profile (DevTools ``Profiler``): :meth:`start`, :meth:`stop`, summary."""

    def __init__(self, cdp: Any) -> None:
        self.cdp = cdp
        self.profile: dict[str, Any] | None = None

    def start(self, interval_us: int = 250) -> None:
        self.cdp.send("Profiler.enable")
        self.cdp.send("Profiler.setSamplingInterval", {"interval": interval_us})
        self.cdp.send("Profiler.start")

    def stop(self) -> None:
        self.profile = self.cdp.send("Profiler.stop")["profile"]
        self.cdp.send("Profiler.disable")

    def summary(self, top: int = 12, chains: int = 3) -> dict[str, Any]:
        """Self time (ms) of the ``top`` functions (idle left out), and the heaviest call chains into the
        function with the most self time."""
        prof = self.profile
        if not prof or not prof.get("samples"):
            return {}
        nodes = {n["id"]: n for n in prof["nodes"]}
        parent = {c: n["id"] for n in prof["nodes"] for c in n.get("children", [])}
        counts: dict[int, int] = defaultdict(int)
        for sample in prof["samples"]:
            counts[sample] += 1
        ms_per_sample = (prof["endTime"] - prof["startTime"]) / 1000.0 / len(prof["samples"])
        self_ms: dict[str, float] = defaultdict(float)
        for node_id, n in counts.items():
            self_ms[_frame(nodes[node_id]["callFrame"])] += n * ms_per_sample
        busy = {k: v for k, v in self_ms.items() if not k.startswith("(idle)")}
        ranked = sorted(busy.items(), key=lambda kv: -kv[1])
        heaviest = next((name for name, _ in ranked if not name.startswith(("(program)", "(garbage"))), None)
        into: dict[str, float] = defaultdict(float)
        for node_id, n in counts.items():
            if _frame(nodes[node_id]["callFrame"]) != heaviest:
                continue
            chain, up = [], parent.get(node_id)
            while up is not None and len(chain) < 6:
                chain.append(nodes[up]["callFrame"]["functionName"] or "(anonymous)")
                up = parent.get(up)
            into[" ← ".join(chain)] += n * ms_per_sample
        return {"total_ms": sum(busy.values()), "top": ranked[:top], "heaviest": heaviest,
                "chains": sorted(into.items(), key=lambda kv: -kv[1])[:chains]}


def _frame(cf: dict[str, Any]) -> str:
    """A function's name and where it comes from: BokehJS and the widget module are inline/blob scripts."""
    name = cf.get("functionName") or "(anonymous)"
    url = cf.get("url", "")
    if name.startswith("(") and not url:
        return name
    if not url:
        where = "native" if cf.get("lineNumber", -1) < 0 else "inline script (BokehJS)"
    elif url.startswith("blob:") or len(url.rsplit("/", 1)[-1]) == 36:
        where = "widget module"
    else:
        where = url.rsplit("/", 1)[-1][:40]
    return f"{name} [{where}]"
