"""Browser-test helpers shared by ``tests/e2e`` and ``benchmarks/``: one copy of each.

- :mod:`labkit.server`: :class:`~labkit.server.LabServer`, a throw-away, sandboxed ``jupyter lab``.
- :mod:`labkit.browser`: Debian's headless Chromium under Playwright with the tested flags, the network
  guard (localhost only; every other request aborted and listed), the requirement check and the version.
- :mod:`labkit.page`: :class:`~labkit.page.LabPage`, one JupyterLab page: open, run, wait, read, screenshot.
- :mod:`labkit.dashboards`: nbtrack dashboards on that page (saved outputs, pictures, no-kernel opening).

Import it with ``tests/e2e`` on ``sys.path`` (``tests/e2e/conftest.py`` and ``benchmarks/_live_lab.py`` put it
there): ``from labkit.page import LabPage``. It does not need pytest.
"""
