"""Reports: runs as one self-contained HTML file that opens offline in any browser (``report()``).

Sits above ``dashboard/`` (it ships the dashboard's static output) and ``store/``; the data
classes reach it through ``nbtrack.screens`` (``Run.to_html()``, ``Logdir.to_html()``).
"""

from __future__ import annotations

from .build import report

__all__ = ["report"]
