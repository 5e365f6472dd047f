"""Big logdirs for the browser tests and ``benchmarks/bench_big_outputs.py``: many small runs, and one
run with many tags, written with nbtrack itself; and the page-side probes that read what a static
output built (charts in all, charts built, the glyphs of a chart)."""

from __future__ import annotations

import math
import time
from pathlib import Path
from typing import Any

import nbtrack


def write_many_runs(root: Path, runs: int = 1000, steps: int = 50) -> Path:
    """``runs`` runs of 4 tags x ``steps`` steps (two of the tags in a group)."""
    for r in range(runs):
        with nbtrack.init(dir=root, name=f"run-{r:04d}", config={"lr": 1e-3 * (r + 1)}) as run:
            for s in range(steps):
                run.log({"loss": 1 / (s + 1) + r * 1e-3, "acc": s / steps, "train/lr": 0.1,
                         "train/grad": math.sin(s + r)})
    return root


def write_many_tags(root: Path, tags: int = 2000, steps: int = 100) -> Path:
    """One run of ``tags`` tags x ``steps`` steps, 50 tags per group (``g000/t00000``, ...)."""
    with nbtrack.init(dir=root, name="wide") as run:
        for s in range(steps):
            run.log({f"g{i // 50:03d}/t{i:05d}": math.sin(s * 0.1 + i) for i in range(tags)})
    return root


def build_output(logdir: Path, out: Path) -> dict[str, Any]:
    """``nbtrack.open(logdir).show()`` saved as an HTML page; the Python-side seconds and the bytes."""
    t0 = time.perf_counter()
    dash = nbtrack.open(logdir).show()
    t1 = time.perf_counter()
    bundle = dash.bundle()
    t2 = time.perf_counter()
    dash.save(out)
    return {"show_s": round(t1 - t0, 2), "bundle_s": round(t2 - t1, 2),
            "html_bytes": len(bundle["text/html"]), "png_bytes": len(bundle["image/png"]) * 3 // 4,
            "output_bytes": len(bundle["text/html"]) + len(bundle["image/png"]) + len(bundle["text/plain"]),
            "series": len(dash.snapshot["series"])}


# How far the grid got: charts in all, charts built, and the figures drawn (a canvas in the chart box).
GRID = """() => { const g = document.querySelector('.nbtrack-charts');
  return g ? { charts: +(g.dataset.charts ?? 0), built: +(g.dataset.built ?? 0),
    drawn: [...(window.Bokeh?.index?.roots ?? [])].filter((v) => v.model?.type === 'Figure'
      && v.el?.closest?.('.nbtrack-chart')).length,
    folded: [...document.querySelectorAll('.nbtrack-group[data-folded="true"]')].map(s => s.dataset.group),
    rendered: document.querySelector('[data-nbtrack-static]')?.dataset.nbtrackRendered ?? null } : null; }"""

# The first chart drawn: performance.now() once a chart box holds a BokehJS figure view (polled every frame).
FIRST_CHART = """() => [...(window.Bokeh?.index?.roots ?? [])].some((v) => v.model?.type === 'Figure'
  && v.el?.closest?.('.nbtrack-chart')) ? performance.now() : false"""

# The view of chart `key`, drawn.
CHART_DRAWN = """(key) => [...(window.Bokeh?.index?.roots ?? [])].some((v) => v.model?.type === 'Figure'
  && v.el?.closest?.('.nbtrack-chart')?.dataset.key === key)"""

# The glyphs of the first chart's figure: their types, how many renderers it has and the lines of its multi_lines.
GLYPHS = """() => { const views = [...(window.Bokeh?.index?.roots ?? [])];
  const box = document.querySelector('.nbtrack-chart');
  const view = views.find((v) => v.model?.type === 'Figure' && box?.contains(v.el));
  if (!view) return null;
  const types = view.model.renderers.map((r) => r.glyph?.type);
  const multi = view.model.renderers.filter((r) => r.glyph?.type === 'MultiLine');
  return { renderers: types.length, types, lines: multi.reduce((n, r) => n + r.data_source.data.xs.length, 0),
    runs: +box.dataset.runs }; }"""
