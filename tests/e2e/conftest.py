"""Browser tests: a real JupyterLab driven by Playwright in Debian's Chromium (/usr/bin/chromium).

    bash scripts/install-browser.sh        # once, as root: apt-get install chromium (never `playwright install`)
    make test-e2e                          # or: python -m pytest -q -m e2e tests/e2e

Fixtures:
- ``lab_server`` (session): ``jupyter lab`` on a free 127.0.0.1 port with token auth; all Jupyter and IPython
  state in a pytest tmp dir; autosave, news and update checks off; stopped with its kernels at the end.
- ``browser`` (session): one headless Chromium (persistent context, tall viewport); every request to a host
  other than localhost is aborted and listed, so the tests prove the page works offline.
- ``lab`` (per test): a fresh page wrapped in :class:`labpage.LabPage` (open/run/wait/read/screenshot),
  with the page's console errors, page errors and blocked requests collected.

Screenshots, the server log and a diagnostics file per test go to ``test-artifacts/e2e/`` at the repo root.
Without Chromium, Playwright or JupyterLab the tests are skipped, except under CI (``CI`` set), where
that is a failure.
"""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import pytest

HERE = Path(__file__).resolve().parent
if str(HERE) not in sys.path:  # the helper modules beside this file (no package: tests/ has no __init__)
    sys.path.insert(0, str(HERE))

from labpage import LabPage  # noqa: E402
from labserver import LabServer  # noqa: E402

ROOT = HERE.parents[1]
ARTIFACTS = ROOT / "test-artifacts" / "e2e"
CHROMIUM = os.environ.get("NBTRACK_E2E_CHROMIUM", "/usr/bin/chromium")  # Debian's; override to test the skip
# Flags tested with Debian's Chromium under Playwright (see browser-e2e-recipe.md). The user-data-dir is
# launch_persistent_context's first argument, never a flag.
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--disable-dev-shm-usage",
]
VIEWPORT = {"width": 1400, "height": 2400}  # tall: a whole short notebook fits in one screenshot
LOCAL_HOSTS = {"127.0.0.1", "localhost", "::1"}
LOCAL_SCHEMES = {"data", "blob", "about"}

TIMINGS: dict[str, float] = {}  # printed in the terminal summary and saved with the artifacts


def in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no")


def missing_requirements() -> list[str]:
    problems = []
    if not (os.path.isfile(CHROMIUM) and os.access(CHROMIUM, os.X_OK)):
        problems.append(f"{CHROMIUM} is missing (run scripts/install-browser.sh as root)")
    for module, package in (("playwright", "playwright"), ("jupyterlab", "jupyterlab")):
        if importlib.util.find_spec(module) is None:
            problems.append(f"python package {package} is not installed (pip install -e '.[test]')")
    return problems


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


# -- Chromium -----------------------------------------------------------------------------------------
@dataclass
class NetworkGuard:
    """Lets the page reach localhost only; aborts and records every other request."""

    blocked: list[str] = field(default_factory=list)

    @staticmethod
    def is_local(url: str) -> bool:
        parts = urlsplit(url)
        return parts.scheme in LOCAL_SCHEMES or (parts.hostname or "") in LOCAL_HOSTS

    def route(self, route) -> None:
        request = route.request
        if self.is_local(request.url):
            route.continue_()
        else:
            self.blocked.append(f"{request.method} {request.url[:300]} ({request.resource_type})")
            route.abort("blockedbyclient")


@dataclass
class Browser:
    context: object
    network: NetworkGuard


@pytest.fixture(scope="session")
def browser(e2e_requirements, tmp_path_factory):
    from playwright.sync_api import sync_playwright

    t0 = time.monotonic()
    pw = sync_playwright().start()
    context = None
    try:
        context = pw.chromium.launch_persistent_context(
            str(tmp_path_factory.mktemp("chromium-profile")), executable_path=CHROMIUM, headless=True,
            args=CHROMIUM_ARGS, viewport=VIEWPORT, device_scale_factor=1)
        network = NetworkGuard()
        context.route("**/*", network.route)
        TIMINGS["browser_launch_s"] = round(time.monotonic() - t0, 2)
        yield Browser(context, network)
    finally:
        if context is not None:
            context.close()
        pw.stop()


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
    page = browser.context.new_page()
    page.set_default_timeout(30_000)
    browser.network.blocked.clear()
    lab = LabPage(page, lab_server, ARTIFACTS, timings=TIMINGS)
    lab.blocked_requests = browser.network.blocked
    page.on("console", lambda m: m.type == "error" and lab.console_errors.append(m.text[:2000]))
    page.on("pageerror", lambda e: lab.page_errors.append(str(e)[:2000]))
    page.on("dialog", lambda d: (lab.dialogs.append(f"{d.type}: {d.message[:300]}"), d.dismiss()))
    try:
        yield lab
    finally:
        name = request.node.name
        failed = getattr(request.node, "report_call", None) is None or request.node.report_call.failed
        try:
            if failed and lab.path:
                lab.screenshot(f"FAILED-{name}")
        except Exception as e:  # a diagnostic must not hide the test's own failure
            print(f"could not take the failure screenshot: {e}")
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        (ARTIFACTS / f"{name}.json").write_text(json.dumps({
            "test": request.node.nodeid, "failed": failed, "timings": TIMINGS,
            "console_errors": lab.console_errors, "page_errors": lab.page_errors,
            "blocked_requests": list(lab.blocked_requests), "dialogs": lab.dialogs}, indent=2) + "\n")
        page.close()
        try:
            lab_server.delete_sessions()  # stop this test's kernel now rather than at server shutdown
        except OSError:
            pass


def pytest_terminal_summary(terminalreporter):
    if TIMINGS:
        timings = ", ".join(f"{k} {v}" for k, v in TIMINGS.items())
        terminalreporter.write_line(f"e2e timings (s): {timings}; artifacts in {ARTIFACTS.relative_to(ROOT)}/")
