"""A dashboard's static output: an HTML+PNG display bundle that needs no kernel and no widget state.

A finished run's output must survive saving and reopening in every viewer (architecture.md
section 3): JupyterLab with its default settings keeps no widget state, untrusted notebooks
and GitHub run no JavaScript, and ``nbconvert --to html`` pages are opened offline. So the
bundle holds no widget view, only:

- ``image/png``: the charts drawn in the kernel (``png_fallback.py``), for viewers without JS;
- ``text/html``: the same PNG as an ``<img>``, the snapshot (JSON with base64 arrays), the
  widget's own ES module and BokehJS, each gzip'd and base64-encoded, in inert
  ``<script type="text/plain">`` blocks, and a small module script that imports the widget module from a Blob URL and
  renders the interactive dashboard over the PNG (``js/src/static.js``). Sanitized
  (untrusted) output drops the scripts and keeps the PNG.

Nothing logged is ever placed in the HTML outside of escaped text: names reach the page
only through the JSON block (with ``<``, ``>`` and ``&`` escaped) and the escaped alt text.
"""

from __future__ import annotations

import gzip
import html
import json
import os
import uuid
from pathlib import Path
from typing import Any

import numpy as np

from .assets import b64 as _b64
from .assets import bokeh_parts, module_part, module_version
from .compact import exact, steps_column, times_column, values_column
from .png_fallback import render_png
from .protocol import json_safe

MIME_PNG = "image/png"
MIME_HTML = "text/html"


def json_for_html(value: Any) -> str:
    """JSON that is safe inside an HTML ``<script>`` block (no ``</script>`` can close it).

    >>> json_for_html({"name": "</script><img src=x onerror=alert(1)>"})
    '{"name": "\\\\u003c/script\\\\u003e\\\\u003cimg src=x onerror=alert(1)\\\\u003e"}'
    """
    text = json.dumps(value, ensure_ascii=False, allow_nan=False, default=str)
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def payload_of(snapshot: dict[str, Any], *, run_name: str, status: str, config: dict[str, Any],
               settings: dict[str, Any], channel: dict[str, str] | None = None,
               compact: bool = False, exact_values: bool = False) -> dict[str, Any]:
    """The model state a static render starts from, with array bytes (and media ``data``) as base64;
    ``compact``: series columns in the smaller forms of ``compact.py`` (step ranges, ms times, float32
    values unless ``exact_values``).

    >>> snap = {"seq": 0, "runs": [], "series": [], "media": [{"run": "r1", "key": "w", "kind": "image",
    ...         "step": 0, "index": None, "meta": {}, "data": [b"\\x89PNG"]}]}
    >>> payload_of(snap, run_name="r", status="finished", config={}, settings={})["snapshot"]["media"][0]["data"]
    ['iVBORw==']
    """
    series = [{**s, **(_compact_columns(s, exact_values) if compact else
                       {k: _b64(s[k]) for k in ("steps", "values", "times")})} for s in snapshot["series"]]
    media = [{**m, "data": [_b64(bytes(d)) for d in m["data"]]} for m in snapshot.get("media", [])]
    return {"_uid": f"static-{uuid.uuid4().hex}", "run_name": run_name, "status": status,
            "config": json_safe(config or {}), "settings": dict(settings),
            "snapshot": {**snapshot, "series": series, "media": media}, "channel": channel or {}}


def _compact_columns(series: dict[str, Any], exact_values: bool) -> dict[str, Any]:
    steps, values, times = (np.frombuffer(series[k], np.float64) for k in ("steps", "values", "times"))
    return {"steps": steps_column(steps), "values": exact(values) if exact_values else values_column(values),
            "times": times_column(times)}


def packed_payload(payload: dict[str, Any]) -> str:
    """The payload as gzip'd JSON in base64 (steps and times compress well; the browser's
    ``DecompressionStream`` unpacks it), safe in HTML as it holds only base64 characters.

    >>> import base64, gzip
    >>> json.loads(gzip.decompress(base64.b64decode(packed_payload({"a": [1, 2]}))))
    {'a': [1, 2]}
    """
    text = json.dumps(payload, ensure_ascii=False, allow_nan=False, default=str, separators=(",", ":"))
    return _b64(gzip.compress(text.encode("utf-8"), 6, mtime=0))


LOADER = """<script type="module">
const boxes = document.querySelectorAll('[data-nbtrack-static="%(uid)s"]');
for (const box of boxes) {
  if (box.dataset.nbtrackRendered) continue;
  box.dataset.nbtrackRendered = "pending";
  const root = globalThis;
  const modules = (root.__nbtrackStaticModules ??= {}); // one per module version on the page
  modules["%(version)s"] ??= (async () => {
    const text = box.querySelector('script[data-part="module-gz"]').textContent.trim();
    const bytes = Uint8Array.from(atob(text), (c) => c.charCodeAt(0));
    const code = new Blob([bytes]).stream().pipeThrough(new DecompressionStream("gzip"));
    const blob = new Blob([await new Response(code).arrayBuffer()], { type: "text/javascript" });
    return import(URL.createObjectURL(blob));
  })();
  modules["%(version)s"].then((m) => m.renderStatic(box)).catch((error) => {
    box.dataset.nbtrackRendered = "failed";
    console.error("nbtrack: the interactive charts could not be drawn; the picture stays", error);
  });
}
</script>"""


# A %track view's companion (companion.py): hidden while the live widget of that view draws on the
# page (or later appears there), drawn otherwise, with the widget's "model not found" line hidden.
COMPANION = """<script type="module">
for (const box of document.querySelectorAll('[data-nbtrack-static="%(uid)s"]')) {
  if (box.dataset.nbtrackCompanion) continue;
  box.dataset.nbtrackCompanion = "waiting";
  box.style.display = "none";
  const live = () => document.querySelector('.nbtrack-dashboard[data-uid="%(live)s"][data-live="true"]');
  const started = Date.now();
  const widgetOutput = () => {  // the widget's own output area, if it shows an error or a view of this uid
    const area = box.closest(".jp-OutputArea-child, .output_area");
    const before = area && area.previousElementSibling;
    if (!before) return null;
    const failed = /model not found|Error displaying widget/i.test(before.textContent || "");
    return { el: before, failed, view: !!before.querySelector('.nbtrack-dashboard[data-uid="%(live)s"]') };
  };
  let hidden = null;
  const draw = () => {
    const widget = widgetOutput();
    if (widget && (widget.failed || widget.view)) { hidden = widget.el; hidden.style.display = "none"; }
    box.style.display = "";
    box.dataset.nbtrackCompanion = "shown";
%(render)s
  };
  const watch = () => {
    if (live()) {  // the kernel is there after all: the widget is the view
      box.style.display = "none";
      box.dataset.nbtrackCompanion = "hidden";
      if (hidden) hidden.style.display = "";
      return;
    }
    const widget = widgetOutput();
    const waited = Date.now() - started;
    // no widget at all ("model not found"): draw now; a view that is not live (restored from saved state,
    // or still connecting): give its kernel time to show a sign of life first
    if (box.dataset.nbtrackCompanion === "waiting" && ((widget && widget.failed) || waited > 12000)) draw();
    if (waited < 120000) setTimeout(watch, 500);
  };
  watch();
}
</script>"""

RENDER = """    const root = globalThis;
    const modules = (root.__nbtrackStaticModules ??= {});
    modules["%(version)s"] ??= (async () => {
      const text = box.querySelector('script[data-part="module-gz"]').textContent.trim();
      const bytes = Uint8Array.from(atob(text), (c) => c.charCodeAt(0));
      const code = new Blob([bytes]).stream().pipeThrough(new DecompressionStream("gzip"));
      const blob = new Blob([await new Response(code).arrayBuffer()], { type: "text/javascript" });
      return import(URL.createObjectURL(blob));
    })();
    box.dataset.nbtrackRendered = "pending";
    modules["%(version)s"].then((m) => m.renderStatic(box)).catch((error) => {
      box.dataset.nbtrackRendered = "failed";
      console.error("nbtrack: the interactive charts could not be drawn; the picture stays", error);
    });"""


def static_bundle(snapshot: dict[str, Any], *, run_name: str, status: str,
                  config: dict[str, Any] | None = None, settings: dict[str, Any] | None = None,
                  png: bytes | None = None, channel: dict[str, str] | None = None,
                  companion_of: str | None = None, picture: bool = True, compact: bool = False,
                  exact_values: bool = False) -> dict[str, Any]:
    """The display bundle (``{mime: data}``) of a dashboard that needs no kernel.

    ``picture=False`` leaves out the PNG (an HTML report: its page always runs the script);
    ``compact`` stores series as compact columns (``compact.py``).

    ``companion_of``: the ``_uid`` of a live ``%track`` widget this output stands in for
    (``companion.py``): hidden while that widget draws, drawn when it cannot.

    >>> import numpy as np
    >>> snap = {"seq": 0, "runs": [{"id": "r1", "name": "demo"}], "series": [{"run": "r1", "key": "loss",
    ...         "steps": np.arange(3.0).tobytes(), "values": np.ones(3).tobytes(), "times": np.zeros(3).tobytes()}]}
    >>> bundle = static_bundle(snap, run_name="demo", status="finished")
    >>> sorted(bundle), bundle["text/html"].count('<script type="module">')
    (['image/png', 'text/html', 'text/plain'], 1)
    """
    settings = dict(settings or {})
    if png is None and picture:
        png = render_png(snapshot, settings)
    payload = payload_of(snapshot, run_name=run_name, status=status, config=config or {}, settings=settings,
                         channel=channel, compact=compact, exact_values=exact_values)
    uid = payload["_uid"]
    bokeh = bokeh_parts()
    alt = html.escape(f"charts of {run_name} ({status})", quote=True)
    parts = [
        f'<div class="nbtrack-static" data-nbtrack-static="{uid}">',
        f'<img class="nbtrack-static-png" alt="{alt}" src="data:image/png;base64,{_b64(png)}"/>' if png else
        '<noscript>This dashboard draws with JavaScript: open the file in a browser with scripts enabled.</noscript>',
        f'<script type="text/plain" data-part="payload-gz">{packed_payload(payload)}</script>',
        f'<script type="text/plain" data-part="module-gz">{module_part()}</script>',
        f'<script type="text/plain" data-part="bokeh-core">{bokeh["bokeh"]}</script>',
        f'<script type="text/plain" data-part="bokeh-api">{bokeh["bokeh-api"]}</script>',
        "</div>",
        LOADER % {"uid": uid, "version": module_version()} if companion_of is None else
        COMPANION % {"uid": uid, "live": html.escape(companion_of, quote=True),
                     "render": RENDER % {"version": module_version()}},
    ]
    text = f"nbtrack dashboard: {run_name} ({status}), {len(snapshot['series'])} series"
    bundle = {MIME_HTML: "\n".join(parts), "text/plain": text}
    return {**bundle, MIME_PNG: _b64(png)} if png else bundle


def _in_kernel() -> bool:
    """True inside a Jupyter kernel (where widget models reach the page)."""
    import sys

    shell = getattr(sys.modules.get("IPython"), "get_ipython", lambda: None)()
    return shell is not None and getattr(shell, "kernel", None) is not None


def standalone_page(bundle: dict[str, Any], title: str) -> str:
    """A whole HTML document around a static output: opens offline from a file in any browser."""
    return (f'<!doctype html>\n<html lang="en"><head><meta charset="utf-8"><title>{html.escape(title)}</title>'
            '<meta name="viewport" content="width=device-width, initial-scale=1"></head>\n'
            f'<body style="margin:16px">\n{bundle[MIME_HTML]}\n</body></html>\n')


class StaticDashboard:
    """A dashboard for the cell output that needs no kernel: see the module docstring.

    Made by ``run.show()`` on a finished run and by ``nbtrack.open(logdir).show()``.
    """

    def __init__(self, snapshot: dict[str, Any], *, run_name: str, status: str,
                 config: dict[str, Any] | None = None, settings: dict[str, Any] | None = None,
                 readers: list[Any] | None = None) -> None:
        self.snapshot = snapshot
        self.run_name, self.status = run_name, status
        self.config, self.settings = dict(config or {}), dict(settings or {})
        self._readers = list(readers or [])
        self._bundle: dict[str, Any] | None = None

    def bundle(self) -> dict[str, Any]:
        if self._bundle is None:
            self._bundle = static_bundle(self.snapshot, run_name=self.run_name, status=self.status,
                                         config=self.config, settings=self.settings, channel=self._channel())
        return self._bundle

    def _channel(self) -> dict[str, str] | None:
        """In a live kernel, with reduced series: the loader model that serves zoom detail (``zoom.py``)."""
        reduced = any(s.get("n", 0) > len(s["values"]) // 8 for s in self.snapshot["series"])
        if not (self._readers and reduced and _in_kernel()):
            return None
        from .loader import BokehLoader
        from .zoom import SERVER

        return {"loader": BokehLoader.instance()._uid, "token": SERVER.register(self._readers)}

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None) -> dict[str, Any]:
        return self.bundle()

    def save(self, path: str | os.PathLike[str]) -> Path:
        """Write the dashboard as one self-contained HTML file (no network needed to open it): the
        same report ``nbtrack.report`` writes of these runs (a snapshot without runs behind it is
        written as it is)."""
        if self._readers:
            from nbtrack.screens import report  # registered by the face (reports/ sits above dashboard/)

            return Path(report(self._readers, path, settings=self.settings, progress=False,
                               title=None if len(self._readers) > 1 else f"nbtrack: {self.run_name}"))
        target = Path(path)
        target.write_text(standalone_page(self.bundle(), f"nbtrack: {self.run_name}"), encoding="utf-8")
        return target

    def __repr__(self) -> str:
        return f"<nbtrack.StaticDashboard {self.run_name!r}: {len(self.snapshot['series'])} series>"
