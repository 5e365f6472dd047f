"""Dashboards: a run, a reader or a logdir as a screen in the cell output, live or static.

Everything here reads from ``store/`` and pushes to the browser; ``record/`` is reached only
through ``Run.attach``/``Run.detach`` (the live feed is one of the run's sinks). The entry
point is :func:`show`; the modules, from the data up: ``m4`` (reduction), ``protocol`` (the
wire format), ``snapshot`` (what a view starts from), ``feed`` (live deltas), ``zoom`` (detail
on request), ``assets`` and ``loader`` (the JS bundle and BokehJS), ``widget`` (the live view),
``png_fallback`` and ``static_output`` (the output that survives saving).
"""

from __future__ import annotations

from .showing import show

__all__ = ["show"]
