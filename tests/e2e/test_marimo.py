"""nbtrack's live views in marimo: a marimo app served by ``marimo run``, opened in headless Chromium.

marimo is not in the test extras (it is a whole notebook server with its own dependencies, and the tests
must not depend on it), so this test SKIPS, saying so, unless marimo can be imported: by this Python, or by
the one named in ``NBTRACK_E2E_MARIMO_PYTHON`` (a separate virtual environment with marimo and nbtrack's
dependencies; this checkout's nbtrack is put first on its PYTHONPATH). For example::

    python3 -m venv /tmp/marimo-venv && /tmp/marimo-venv/bin/pip install marimo -e .
    NBTRACK_E2E_MARIMO_PYTHON=/tmp/marimo-venv/bin/python python -m pytest -m e2e tests/e2e/test_marimo.py

What it checks (verified with marimo 0.25.2, anywidget 0.11.0, bokeh 3.9.2): marimo renders anywidgets in
a shadow root (``<marimo-anywidget>``), so the dashboard must carry its style sheet into that root; BokehJS,
carried by the loader widget that every dashboard references, loads and draws the charts; points logged
after display arrive (``run.show()``, shown through ``mo.ui.anywidget`` and bare, and ``nbtrack.track``
following a logdir that another process writes); when the run finishes, the view stays, marked finished.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import textwrap
import time
import urllib.request
from pathlib import Path

import pytest

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts" / "e2e"
MARIMO_PYTHON_ENV = "NBTRACK_E2E_MARIMO_PYTHON"

NOTEBOOK = textwrap.dedent('''
    import marimo

    app = marimo.App()


    @app.cell
    def _():
        import math, os, subprocess, sys, threading, time
        import marimo as mo
        import nbtrack
        base = os.environ["NBTRACK_MARIMO_DIR"]
        def wait_for(flag):
            while not os.path.exists(os.path.join(base, flag)):
                time.sleep(0.05)
        return base, math, mo, nbtrack, os, subprocess, sys, threading, wait_for


    @app.cell
    def _(base, math, mo, nbtrack, threading, wait_for):
        run = nbtrack.init(dir=base + "/runs", name="m")
        for step in range(5):
            run.log({"loss": math.exp(-step / 3), "acc": step / 10}, step=step)
        def more():
            wait_for("go")  # the test has seen the first 5 points
            for step in range(5, 40):
                run.log({"loss": math.exp(-step / 3), "acc": step / 10}, step=step)
            run.finish()
        threading.Thread(target=more, daemon=True).start()
        mo.ui.anywidget(run.show())
        return


    @app.cell
    def _(base, nbtrack, os, subprocess, sys):
        code = f"""
    import os, time, nbtrack
    deadline = time.monotonic() + 300  # never outlives a failed test by long
    while not os.path.exists({base!r} + "/go"):
        if time.monotonic() > deadline:
            raise SystemExit("no go")
        time.sleep(0.05)
    with nbtrack.init(dir={base!r} + "/tracked", name="sub") as run:
        for step in range(30):
            run.log({{"loss": 1 / (step + 1)}}, step=step)
    """
        os.makedirs(base + "/tracked", exist_ok=True)
        writer = subprocess.Popen([sys.executable, "-c", code])
        nbtrack.track(base + "/tracked", reload=0.3)  # shown bare: marimo wraps the anywidget itself
        return


    if __name__ == "__main__":
        app.run()
''')

# every element matching a selector, in the document and in every open shadow root (marimo's anywidgets)
STATE = """() => {
  const shadows = [];
  const walk = (root) => {
    for (const n of root.querySelectorAll('*')) if (n.shadowRoot) { shadows.push(n.shadowRoot); walk(n.shadowRoot); }
  };
  walk(document);
  const roots = [document, ...shadows];
  const all = (sel) => roots.flatMap((r) => [...r.querySelectorAll(sel)]);
  const dashboards = all('.nbtrack-dashboard');
  return {
    dashboards: dashboards.map((d) => ({
      inShadowRoot: d.getRootNode() !== document,
      host: d.getRootNode().host?.tagName ?? null,
      styled: !!d.getRootNode().querySelector?.('style.nbtrack-style, style#nbtrack-style'),
      title: d.querySelector('.nbtrack-header')?.innerText ?? d.innerText.split('\\n').slice(0, 2).join(' '),
      charts: Object.fromEntries([...d.querySelectorAll('.nbtrack-chart[data-points]')]
        .map((c) => [c.dataset.key, Number(c.dataset.points)])),
      errors: [...d.querySelectorAll('.nbtrack-error')].map((e) => e.textContent),
    })),
    bokeh: window.Bokeh?.version ?? null,
    pageText: document.body.innerText.slice(0, 2000),
  };
}"""


def _marimo_python() -> tuple[str, dict[str, str]] | str:
    """(python, env) of a Python that imports marimo and this checkout's nbtrack, or why there is none."""
    python = os.environ.get(MARIMO_PYTHON_ENV) or sys.executable
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    try:
        probe = subprocess.run([python, "-c", "import marimo, anywidget, nbtrack; print(marimo.__version__)"],
                               env=env, capture_output=True, text=True, timeout=120)
    except OSError as exc:
        return f"{MARIMO_PYTHON_ENV}={python!r} cannot run: {exc}"
    if probe.returncode != 0:
        last = (probe.stderr.strip().splitlines() or ["?"])[-1]
        return (f"marimo is not importable by {python} ({last}); marimo is not in the test extras: "
                f"pip install marimo, or set {MARIMO_PYTHON_ENV} to a Python that has it")
    return python, env


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def marimo_python():
    """(python, env) that can run marimo; a skip saying why otherwise (before Chromium is launched)."""
    found = _marimo_python()
    if isinstance(found, str):
        pytest.skip(found)
    return found


@pytest.fixture(scope="module")
def marimo_app(marimo_python, tmp_path_factory):
    python, env = marimo_python
    work = tmp_path_factory.mktemp("marimo")
    (work / "app.py").write_text(NOTEBOOK)
    env = {**env, "NBTRACK_MARIMO_DIR": str(work), "MARIMO_SKIP_UPDATE_CHECK": "1", "HOME": str(work)}
    port = _free_port()
    log = (work / "marimo.log").open("w")
    server = subprocess.Popen([python, "-m", "marimo", "run", str(work / "app.py"), "--headless",
                               "--host", "127.0.0.1", "--port", str(port)],
                              cwd=work, env=env, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}/"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(url, timeout=2) as response:
                    if response.status == 200:
                        break
            except OSError:
                pass
            if server.poll() is not None or time.monotonic() > deadline:
                log.flush()
                pytest.fail(f"marimo did not start: {(work / 'marimo.log').read_text()[-2000:]}")
            time.sleep(0.25)
        yield url, work
    finally:
        (work / "go").write_text("")  # a test that failed early leaves no writer waiting
        server.terminate()
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()
        log.close()
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        (ARTIFACTS / "marimo.log").write_text((work / "marimo.log").read_text())


def test_live_dashboards_draw_and_update_in_marimo(marimo_python, marimo_app, browser):
    url, work = marimo_app
    browser.network.blocked.clear()
    page = browser.context.new_page()
    page_errors: list[str] = []
    page.on("pageerror", lambda e: page_errors.append(str(e)))
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    try:
        page.goto(url)
        # both views drawn: the run's two charts with the first 5 points, the tracked logdir still empty
        page.wait_for_function(f"""() => {{ const s = ({STATE})();
            return s.dashboards.length === 2 && s.dashboards[0].charts.loss === 5
                && s.dashboards[0].charts.acc === 5; }}""",
                               timeout=90_000, polling=250)
        before = page.evaluate(STATE)
        page.screenshot(path=str(ARTIFACTS / "marimo_1_before.png"), full_page=True)
        (work / "go").write_text("")  # the run logs 35 more steps and finishes; a subprocess writes a tracked run
        page.wait_for_function(f"""() => {{ const s = ({STATE})();
            return s.dashboards.length === 2 && s.dashboards[0].charts.loss === 40
                && /finished/.test(s.dashboards[0].title) && s.dashboards[1].charts.loss === 30; }}""",
                               timeout=60_000, polling=250)
        page.wait_for_timeout(500)
        after = page.evaluate(STATE)
        page.screenshot(path=str(ARTIFACTS / "marimo_2_after.png"), full_page=True)
    except Exception:
        page.screenshot(path=str(ARTIFACTS / "FAILED-marimo.png"), full_page=True)
        print("page state:", page.evaluate(STATE), "page errors:", page_errors, sep="\n")
        raise
    finally:
        page.close()

    run_view, track_view = after["dashboards"]
    assert before["dashboards"][1]["charts"] == {}, before  # the tracked logdir had no runs before "go"
    for view in after["dashboards"]:
        # marimo renders anywidgets in a shadow root: the dashboard's style sheet must be inside it
        assert view["inShadowRoot"] and view["host"] == "MARIMO-ANYWIDGET" and view["styled"], view
        assert view["errors"] == [], view
    assert run_view["charts"] == {"loss": 40, "acc": 40}, run_view
    assert "finished" in run_view["title"], run_view  # the view stays after finish(), marked finished
    assert track_view["charts"] == {"loss": 30}, track_view
    assert after["bokeh"], after
    assert page_errors == [], page_errors
    assert browser.network.blocked == [], browser.network.blocked
