"""Headless Debian Chromium (``/usr/bin/chromium``) under Playwright, offline but for localhost.

The flags were tested with Debian's Chromium under Playwright (see browser-e2e-recipe.md); never
``playwright install``. The user-data-dir is ``launch_persistent_context``'s first argument, never a flag.
"""

from __future__ import annotations

import importlib.util
import os
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

CHROMIUM = os.environ.get("NBTRACK_E2E_CHROMIUM", "/usr/bin/chromium")  # Debian's; override to test the skip
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--disable-dev-shm-usage",
]
VIEWPORT = {"width": 1400, "height": 2400}  # tall: a whole short notebook (or dashboard) fits on screen
LOCAL_HOSTS = {"127.0.0.1", "localhost", "::1"}
LOCAL_SCHEMES = {"data", "blob", "about"}


def missing_requirements() -> list[str]:
    """What the browser tests lack: Chromium, Playwright, JupyterLab (empty when nothing is missing)."""
    problems = []
    if not (os.path.isfile(CHROMIUM) and os.access(CHROMIUM, os.X_OK)):
        problems.append(f"{CHROMIUM} is missing (run scripts/install-browser.sh as root)")
    for module, package in (("playwright", "playwright"), ("jupyterlab", "jupyterlab")):
        if importlib.util.find_spec(module) is None:
            problems.append(f"python package {package} is not installed (pip install -e '.[test]')")
    return problems


@dataclass
class NetworkGuard:
    """Lets the page reach localhost only; aborts and records every other request."""

    blocked: list[str] = field(default_factory=list)

    @staticmethod
    def is_local(url: str) -> bool:
        parts = urlsplit(url)
        return parts.scheme in LOCAL_SCHEMES or (parts.hostname or "") in LOCAL_HOSTS

    def route(self, route: Any) -> None:
        request = route.request
        if self.is_local(request.url):
            route.continue_()
        else:
            self.blocked.append(f"{request.method} {request.url[:300]} ({request.resource_type})")
            route.abort("blockedbyclient")


@dataclass
class Browser:
    """Playwright, one persistent Chromium context and its network guard."""

    playwright: Any
    context: Any
    network: NetworkGuard

    def close(self) -> None:
        try:
            self.context.close()
        finally:
            self.playwright.stop()


def launch_browser(profile: Path) -> Browser:
    """Headless Chromium with the tested flags and a tall viewport, its profile in ``profile``, every request
    to a host other than localhost aborted and listed in ``network.blocked``."""
    from playwright.sync_api import sync_playwright

    pw = sync_playwright().start()
    try:
        context = pw.chromium.launch_persistent_context(
            str(profile), executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS, viewport=VIEWPORT,
            device_scale_factor=1)
    except Exception:
        pw.stop()
        raise
    network = NetworkGuard()
    context.route("**/*", network.route)
    return Browser(pw, context, network)


def chromium_version() -> str:
    """``chromium --version`` (Debian's wrapper script prints a harmless shell warning on stderr)."""
    try:
        out = subprocess.run([CHROMIUM, "--version"], capture_output=True, text=True, timeout=30).stdout
    except (OSError, subprocess.SubprocessError) as e:
        return f"unknown ({e})"
    return out.strip() or "unknown"
