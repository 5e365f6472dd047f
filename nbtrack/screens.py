"""Where data classes find the screen that shows them, and the report that shares them, without importing either.

``Run.show()``, ``RunReader.show()`` and ``Logdir.show()`` call :func:`show` here, and
``Run.to_html()``, ``RunReader.to_html()``, ``Logdir.to_html()`` and ``StaticDashboard.save()``
call :func:`report`; the public face (``nbtrack/__init__.py``) registers
``nbtrack.dashboard.show`` and ``nbtrack.report.report`` at import. So ``record/``
and ``store/`` never import ``dashboard/`` (which imports them), and the package has no
import cycle, as a plotting backend is registered with pandas rather than imported by it.

>>> import nbtrack, tempfile  # importing the face registers the dashboard
>>> d = tempfile.mkdtemp()
>>> with nbtrack.init(dir=d, name="r") as run:
...     run.log({"loss": 1.0})
>>> show(nbtrack.open(d))
<nbtrack.StaticDashboard 'r': 1 series>
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

_show: Callable[..., Any] | None = None
_report: Callable[..., Any] | None = None


def register_show(function: Callable[..., Any]) -> None:
    """Make ``function(source, **options)`` the screen of every ``.show()``."""
    global _show
    _show = function


def show(source: Any, **options: Any) -> Any:
    """The registered screen of ``source``; a clear error when none is (``import nbtrack`` registers it)."""
    if _show is None:
        raise RuntimeError("no dashboard is registered to show this; `import nbtrack` registers it")
    return _show(source, **options)


def register_report(function: Callable[..., Any]) -> None:
    """Make ``function(source, path=None, **options)`` the report of every ``.to_html()``."""
    global _report
    _report = function


def report(source: Any, path: Any = None, **options: Any) -> Any:
    """The registered report of ``source`` (HTML text, or the path written); a clear error when none is."""
    if _report is None:
        raise RuntimeError("no report writer is registered; `import nbtrack` registers it")
    return _report(source, path, **options)
