"""Drive the prototype in headless JupyterLab. Usage: python run_cases.py a b c d"""
import json, sys, time, tempfile, subprocess
from pathlib import Path
from urllib.parse import urlsplit

sys.path.insert(0, str(Path(__file__).resolve().parents[3] / "tests" / "e2e"))
from labkit.server import LabServer  # noqa
from labkit.page import LabPage      # noqa
import nbformat
from nbformat.v4 import new_notebook, new_code_cell

HERE = Path("/tmp/bokeh_loader_proto")
SHOTS = HERE / "shots"; SHOTS.mkdir(exist_ok=True)
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage"]
SETUP = "import sys, math; sys.path.insert(0, '/tmp/bokeh_loader_proto')\nfrom proto import BokehLoader, Dash, DashW"

NOTEBOOKS = {
    "a": [SETUP,
          "d1 = Dash(range(10), [math.sin(i/3) for i in range(10)], title='d1')\nd1",
          "d2 = Dash(range(25), [math.cos(i/3) for i in range(25)], title='d2')\nd2"],
    "b": [SETUP,
          "loader = BokehLoader.instance()  # never displayed\nfirst = Dash(range(5), range(5), title='first (never displayed)')\nprint(first.loader is loader)",
          "second = Dash(range(12), [i*i for i in range(12)], title='second')\nsecond"],
    "w": [SETUP,
          "d1 = DashW(range(10), range(10), title='w1')\nd1",
          "d2 = Dash(range(7), range(7), title='ipy')\nd2"],
    "e": [SETUP,
          "d1 = Dash(range(10), range(10), title='offline 1')\nd1",
          "d2 = Dash(range(20), range(20), title='offline 2')\nd2"],
    "c2": [SETUP,
          "d = Dash([0], [0], title='streamed, no sleep')\nd",
          "import time\nt0 = time.perf_counter()\nfor i in range(1, 201):\n    d.append([i], [math.sin(i/10)])\nprint(f'sent 200 in {(time.perf_counter()-t0)*1e3:.1f} ms')"],
    "c": [SETUP,
          "d = Dash([0], [0], title='streamed')\nd",
          "import time\nfor i in range(1, 201):\n    d.append([i], [math.sin(i/10)])\n    time.sleep(0.005)\nprint('sent 200')"],
}

STATE_JS = """() => ({
  bokehVersion: window.Bokeh?.version ?? null,
  hasPlotting: !!window.Bokeh?.Plotting,
  nbtrackScripts: document.querySelectorAll('script[data-nbtrack-bokeh]').length,
  bigScripts: [...document.scripts].filter(s => s.textContent.length > 100000).length,
  injections: window.__nbtrackBokehInjections ?? 0,
  skipped: window.__nbtrackBokehSkipped ?? 0,
  injectMs: window.__nbtrackBokehInjectMs ?? null,
  loaderInits: window.__nbtrackLoaderInits ?? 0,
  loaderRefSeen: window.__nbtrackLoaderRefSeen ?? null,
  loaderKind: window.__nbtrackLoaderKind ?? null,
  bokehError: window.__nbtrackBokehError ?? null,
  docs: (window.Bokeh?.documents ?? []).map(d => { const r = {};
     for (const m of d.all_models) { try { if (m.name?.startsWith('src_')) r[m.name.slice(0, 12)] = m.data.x.length; } catch (e) {} }
     return r; }),
  glyphs: [...(window.Bokeh?.index ?? [])].filter(v => v.renderer_views).map(v =>
     [...v.renderer_views.values()].filter(rv => rv.glyph).map(rv => rv.glyph.data_size)),
  sliderReadouts: [...document.querySelectorAll('.widget-readout')].map(e => e.textContent),
  status: [...document.querySelectorAll('.nbt-status')].map(e => e.textContent),
  outputs: [...document.querySelectorAll('.jp-OutputArea-output')].map(e => e.innerText.slice(0, 200)),
})"""


def make_nb(cells, name, kernel="python3"):
    nb = new_notebook(cells=[new_code_cell(c) for c in cells])
    nb.metadata["kernelspec"] = {"name": kernel, "display_name": "Python 3", "language": "python"}
    return nb


class Guard:
    def __init__(self): self.blocked = []
    def route(self, route):
        u = urlsplit(route.request.url)
        if u.scheme in ("data", "blob", "about") or u.hostname in ("127.0.0.1", "localhost", "::1"):
            route.continue_()
        else:
            self.blocked.append(route.request.url[:200]); route.abort("blockedbyclient")


def main(cases):
    from playwright.sync_api import sync_playwright
    server = LabServer(HERE / "lab"); server.prepare(); server.start()
    results = {}
    try:
        with sync_playwright() as pw:
            ctx = pw.chromium.launch_persistent_context(tempfile.mkdtemp(dir=HERE), executable_path="/usr/bin/chromium",
                                                        headless=True, args=ARGS, viewport={"width": 1400, "height": 1800})
            guard = Guard(); ctx.route("**/*", guard.route)
            for case in cases:
                page = ctx.new_page()
                logs = []
                page.on("console", lambda m: logs.append(f"{m.type}: {m.text[:300]}"))
                page.on("pageerror", lambda e: logs.append(f"pageerror: {e}"))
                hosts = {}
                page.on("request", lambda r: hosts.__setitem__(urlsplit(r.url).scheme + "://" + (urlsplit(r.url).hostname or ""), hosts.get(urlsplit(r.url).scheme + "://" + (urlsplit(r.url).hostname or ""), 0) + 1))
                lp = LabPage(page, server, SHOTS)
                guard.blocked.clear()
                if case == "r":  # run (a), then reload the browser tab: same kernel, models restored from it
                    src = HERE / "case_a.ipynb"; nbformat.write(make_nb(NOTEBOOKS["a"], "a"), src)
                    lp.open_notebook(src, name="case_r.ipynb"); lp.run_cell_by_cell(120)
                    page.wait_for_timeout(1500)
                    first = page.evaluate(STATE_JS)
                    page.evaluate("() => window.jupyterapp.commands.execute('docmanager:save')"); page.wait_for_timeout(1500)
                    page.reload(); page.wait_for_selector(".jp-Notebook .jp-Cell", timeout=60000)
                    lp.wait_kernel_idle(60); page.wait_for_timeout(4000)
                    state = page.evaluate(STATE_JS); lp.screenshot("case_r")
                    results[case] = {"before_reload": {k: first[k] for k in ("injections", "glyphs")}, "after": state}
                elif case in NOTEBOOKS:
                    src = HERE / f"case_{case}.ipynb"; nbformat.write(make_nb(NOTEBOOKS[case], case), src)
                    lp.open_notebook(src)
                    before = page.evaluate(STATE_JS)
                    lp.run_cell_by_cell(120)
                    page.wait_for_timeout(2500)
                    state = page.evaluate(STATE_JS)
                    lp.screenshot(f"case_{case}")
                    results[case] = {"before": {k: before[k] for k in ("bokehVersion", "bigScripts")}, "after": state,
                                     "errors_in_cells": lp.error_outputs()}
                else:  # case d variants: open a pre-executed notebook (see make_d) without a kernel
                    name = case  # e.g. d_with / d_without
                    server.delete_sessions()
                    page.goto(f"{server.base_url}/lab/tree/{name}.ipynb?reset&token={server.token}")
                    page.wait_for_selector(".jp-Notebook .jp-Cell", timeout=60000)
                    # the kernelspec does not exist: answer the kernel dialog with "No Kernel"
                    dialog = None
                    for _ in range(30):
                        d = page.locator(".jp-Dialog")
                        if d.count():
                            dialog = d.first.inner_text()[:300]
                            btn = page.locator(".jp-Dialog button", has_text="No Kernel")
                            if btn.count(): btn.first.click()
                            else: page.locator(".jp-Dialog button", has_text="Cancel").first.click()
                            break
                        page.wait_for_timeout(300)
                    page.wait_for_timeout(5000)
                    state = page.evaluate(STATE_JS)
                    kstatus = page.evaluate("() => { const p = window.jupyterapp.shell.currentWidget; return [p?.sessionContext?.session?.kernel?.name ?? null, p?.sessionContext?.kernelDisplayName, p?.content?.widgets?.map(c => c.model.trusted)]; }")
                    lp.path = f"{name}.ipynb"
                    lp.screenshot(f"case_{case}")
                    results[case] = {"dialog": dialog, "kernel_name_display_trusted": kstatus, "after": state}
                if case == "e":  # prove the guard is live: a CDN fetch from the page must fail
                    results[case]["cdn_probe"] = page.evaluate("() => fetch('https://cdn.bokeh.org/bokeh/release/bokeh-3.9.2.min.js').then(r => 'fetched ' + r.status, e => 'failed: ' + e)")
                results[case]["request_hosts"] = dict(hosts)
                results[case]["blocked"] = list(guard.blocked)
                results[case]["console"] = [l for l in logs if "nbtrack" in l or l.startswith(("error", "pageerror", "warning"))][:30]
                page.close()
            ctx.close()
    finally:
        server.delete_sessions()
        server.stop()
    out = HERE / f"results_{'_'.join(cases)}.json"
    out.write_text(json.dumps(results, indent=1))
    print(json.dumps(results, indent=1))


if __name__ == "__main__":
    main(sys.argv[1:])
