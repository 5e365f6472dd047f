"""Browser tests: a real JupyterLab driven by Playwright in Debian's Chromium (/usr/bin/chromium).

    bash scripts/install-browser.sh        # once, as root: apt-get install chromium (never `playwright install`)
    make test-e2e                          # or: python -m pytest -q -m e2e tests/e2e

Fixtures:
- ``lab_server`` (session): ``jupyter lab`` on a free 127.0.0.1 port with token auth; all Jupyter and IPython
  state in a pytest tmp dir; autosave, news and update checks off; stopped with its kernels at the end.
- ``browser`` (session): one headless Chromium (persistent context, tall viewport); every request to a host
  other than localhost is aborted and listed, so the tests prove the page works offline.
- ``notebook7_server`` (session): the same for ``jupyter notebook`` (Notebook 7); skipped, with the reason,
  when Notebook 7 is not installed (``NBTRACK_E2E_NOTEBOOK_PATH`` may name a folder holding it).
- ``lab`` (per test): a fresh page wrapped in :class:`labkit.page.LabPage` (open/run/wait/read/screenshot),
  with the page's console errors, page errors and blocked requests collected.

Screenshots, the server log and a diagnostics file per test go to ``test-artifacts/e2e/`` at the repo root.
Without Chromium, Playwright or JupyterLab the tests are skipped, except under CI (``CI`` set), where
that is a failure.
"""

from __future__ import annotations

import os
import shutil
import sys
import time
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
if str(HERE) not in sys.path:  # the helper package beside this file (no package: tests/ has no __init__)
    sys.path.insert(0, str(HERE))

from labkit.browser import launch_browser, missing_requirements  # noqa: E402
from labkit.page import new_lab_page  # noqa: E402
from labkit.server import LabServer, notebook7_missing  # noqa: E402

ROOT = HERE.parents[1]
ARTIFACTS = ROOT / "test-artifacts" / "e2e"

TIMINGS: dict[str, float] = {}  # printed in the terminal summary and saved with the artifacts


def in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no")


@pytest.fixture(scope="session")
def e2e_requirements() -> None:
    """Skip the browser tests when the browser stack is missing; under CI that is a failure instead."""
    problems = missing_requirements()
    if not problems:
        return
    message = "browser tests need Chromium, Playwright and JupyterLab: " + "; ".join(problems)
    if in_ci():
        pytest.fail(f"{message} (CI is set, so this fails rather than skips)", pytrace=False)
    pytest.skip(message)


# -- JupyterLab ---------------------------------------------------------------------------------------
@pytest.fixture(scope="session")
def lab_server(e2e_requirements, tmp_path_factory):
    t0 = time.monotonic()
    server = LabServer(tmp_path_factory.mktemp("jupyterlab"))
    server.prepare()
    try:
        server.start()
        TIMINGS["lab_start_s"] = round(time.monotonic() - t0, 2)
        yield server
    finally:
        try:
            notes = server.stop()
            if notes:
                print("JupyterLab shutdown:", *notes, sep="\n  ")
        finally:
            ARTIFACTS.mkdir(parents=True, exist_ok=True)
            if server.log_path.exists():
                shutil.copy(server.log_path, ARTIFACTS / "jupyterlab.log")


@pytest.fixture(scope="session")
def notebook7_server(e2e_requirements, tmp_path_factory):
    """``jupyter notebook`` (Notebook 7), sandboxed like ``lab_server``; a skip saying why when it is missing."""
    problem = notebook7_missing()
    if problem:
        if in_ci():  # `notebook` is in the test extras: under CI its absence is a failure, as for the browser
            pytest.fail(f"{problem} (CI is set, so this fails rather than skips)", pytrace=False)
        pytest.skip(problem)
    server = LabServer(tmp_path_factory.mktemp("notebook7"), app="notebook")
    server.prepare()
    try:
        server.start()
        yield server
    finally:
        try:
            notes = server.stop()
            if notes:
                print("Notebook 7 shutdown:", *notes, sep="\n  ")
        finally:
            ARTIFACTS.mkdir(parents=True, exist_ok=True)
            if server.log_path.exists():
                shutil.copy(server.log_path, ARTIFACTS / "notebook7.log")


# -- Chromium -----------------------------------------------------------------------------------------
@pytest.fixture(scope="session")
def browser(e2e_requirements, tmp_path_factory):
    """:class:`labkit.browser.Browser`: one headless Chromium, offline but for localhost."""
    t0 = time.monotonic()
    browser = launch_browser(tmp_path_factory.mktemp("chromium-profile"))
    TIMINGS["browser_launch_s"] = round(time.monotonic() - t0, 2)
    try:
        yield browser
    finally:
        browser.close()


# -- one page per test --------------------------------------------------------------------------------
@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item, call):
    report = yield
    setattr(item, f"report_{report.when}", report)  # lets the `lab` fixture see whether the test failed
    return report


@pytest.fixture
def lab(lab_server, browser, request):
    """A new JupyterLab page. ``lab.console_errors``, ``lab.page_errors`` and ``lab.blocked_requests``
    collect what went wrong in the browser; on failure a screenshot is saved as FAILED-<test>.png."""
    browser.network.blocked.clear()

    def failed() -> bool:
        return getattr(request.node, "report_call", None) is None or request.node.report_call.failed

    with new_lab_page(browser, lab_server, ARTIFACTS, request.node.name, timings=TIMINGS,
                      blocked=browser.network.blocked, failed=failed, facts={"test": request.node.nodeid}) as lab:
        yield lab


@pytest.fixture
def notebook7(notebook7_server, browser, request):
    """Like ``lab``, on a Notebook 7 page (``lab.open_notebook`` opens /notebooks/<name>)."""
    browser.network.blocked.clear()

    def failed() -> bool:
        return getattr(request.node, "report_call", None) is None or request.node.report_call.failed

    with new_lab_page(browser, notebook7_server, ARTIFACTS, request.node.name, timings=TIMINGS,
                      blocked=browser.network.blocked, failed=failed, facts={"test": request.node.nodeid}) as page:
        yield page


def pytest_terminal_summary(terminalreporter):
    if TIMINGS:
        timings = ", ".join(f"{k} {v}" for k, v in TIMINGS.items())
        terminalreporter.write_line(f"e2e timings (s): {timings}; artifacts in {ARTIFACTS.relative_to(ROOT)}/")
