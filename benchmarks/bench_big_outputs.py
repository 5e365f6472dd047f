"""Big logdirs in the browser (issue 17 items 8 and 10): build time, output bytes and first paint.

    python benchmarks/bench_big_outputs.py            # appends its section to benchmarks/RESULTS.md

Writes, in a temporary folder, 1,000 small runs (4 tags x 50 steps), one run of 2,000 tags x 100 steps
and one of 10,000 tags x 20 steps (``tests/e2e/_big_outputs.py``); times ``nbtrack.open(dir).show()`` and
``.bundle()`` (snapshot, payload, PNG); saves each output as an HTML page and opens it from file:// in
headless Chromium (the browser tests' launcher), noting when the first chart's BokehJS figure exists
(``performance.now()`` since navigation, polled every frame) and how many charts were built by then and
1.5 s later. Checks: 1,000 runs paint their first chart within 5 s; 2,000 tags show their first screen
within 5 s and their output is under 5 MB.
"""

from __future__ import annotations

import json
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "tests" / "e2e"))

from _big_outputs import FIRST_CHART, GRID, build_output, write_many_runs, write_many_tags  # noqa: E402
from labkit.browser import launch_browser  # noqa: E402

CASES = {
    "1,000 runs x 4 tags x 50 steps": lambda p: write_many_runs(p, 1000, 50),
    "1 run x 2,000 tags x 100 steps": lambda p: write_many_tags(p, 2000, 100),
    "1 run x 10,000 tags x 20 steps": lambda p: write_many_tags(p, 10_000, 20),
}


def first_paint(browser, page_path: Path) -> dict[str, float]:
    page = browser.context.new_page()
    page.set_default_timeout(300_000)
    page.route("file://**", lambda route: route.continue_())
    try:
        page.goto(page_path.as_uri())
        first = page.wait_for_function(FIRST_CHART, polling="raf").json_value()
        at_first = page.evaluate(GRID)
        page.wait_for_timeout(1500)
        later = page.evaluate(GRID)
        return {"first_chart_s": round(first / 1000, 2), "charts": later["charts"],
                "built_at_first": at_first["built"], "built_1_5s_later": later["built"]}
    finally:
        page.close()


def main() -> None:
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        browser = launch_browser(Path(tmp) / "profile")
        try:
            for n, (name, write) in enumerate(CASES.items()):
                t0 = time.perf_counter()
                logdir = write(Path(tmp) / f"case{n}")
                written = time.perf_counter() - t0
                out = Path(tmp) / f"case{n}.html"
                built = build_output(logdir, out)
                rows.append({"case": name, "write_s": round(written, 1), **built, **first_paint(browser, out)})
                print(json.dumps(rows[-1]))
        finally:
            browser.close()
    write_results(rows)


def write_results(rows: list[dict]) -> None:
    lines = ["", "<!-- bench_big_outputs:begin -->", "## Big outputs in the browser (issue 17 items 8, 10)", "",
             f"Run {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())} by `python benchmarks/bench_big_outputs.py` "
             "(2 cores, headless Chromium, file:// page).", "",
             "| case | show() s | bundle() s | output bytes (HTML + PNG) | PNG bytes | first chart s | charts | "
             "built at first paint | built 1.5 s later |", "|---|---|---|---|---|---|---|---|---|"]
    for r in rows:
        lines.append(f"| {r['case']} | {r['show_s']} | {r['bundle_s']} | {r['output_bytes']:,} | {r['png_bytes']:,} | "
                     f"{r['first_chart_s']} | {r['charts']:,} | {r['built_at_first']} | {r['built_1_5s_later']} |")
    runs, tags = rows[0], rows[1]
    ok = lambda b: "**PASS**" if b else "**FAIL**"  # noqa: E731
    lines += ["", f"Checks: 1,000 runs, first chart {runs['first_chart_s']} s < 5 s: {ok(runs['first_chart_s'] < 5)}; "
              f"2,000 tags, first chart {tags['first_chart_s']} s < 5 s: {ok(tags['first_chart_s'] < 5)}, output "
              f"{tags['output_bytes'] / 1e6:.2f} MB < 5 MB: {ok(tags['output_bytes'] < 5e6)}.",
              "<!-- bench_big_outputs:end -->", ""]
    results = HERE / "RESULTS.md"
    text = results.read_text()
    begin, end = "<!-- bench_big_outputs:begin -->", "<!-- bench_big_outputs:end -->"
    if begin in text:
        text = text[:text.index(begin)].rstrip("\n") + "\n" + text[text.index(end) + len(end):].lstrip("\n")
    results.write_text(text.rstrip("\n") + "\n" + "\n".join(lines))


if __name__ == "__main__":
    main()
