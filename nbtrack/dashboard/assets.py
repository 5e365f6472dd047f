"""The files a dashboard ships to the page: the widget's JS bundle and BokehJS.

Both come from installed packages, never from a CDN: the bundle is built into
``nbtrack/static/widget.js`` by ``js/build.mjs`` at package build time, and BokehJS is
read from the installed bokeh package (found without importing bokeh). Static outputs
carry them gzip-compressed and base64-encoded, computed once per process.
"""

from __future__ import annotations

import base64
import functools
import gzip
import hashlib
import importlib.util
from pathlib import Path

BUNDLE = Path(__file__).resolve().parent.parent / "static" / "widget.js"


def b64(data: bytes) -> str:
    """``data`` as base64 text.

    >>> b64(b"nbtrack")
    'bmJ0cmFjaw=='
    """
    return base64.b64encode(data).decode("ascii")


def bokehjs(name: str) -> str:
    """A BokehJS file of the installed bokeh package, such as ``bokeh.min.js``."""
    spec = importlib.util.find_spec("bokeh")
    if spec is None or not spec.submodule_search_locations:
        raise ImportError("the live dashboard draws with BokehJS: pip install bokeh")
    return (Path(spec.submodule_search_locations[0]) / "server" / "static" / "js" / name).read_text()


@functools.lru_cache(maxsize=1)
def bokeh_parts() -> dict[str, str]:
    """BokehJS core and API, gzip-compressed and base64-encoded (computed once)."""
    return {name: b64(gzip.compress(bokehjs(f"{name}.min.js").encode(), 9, mtime=0))
            for name in ("bokeh", "bokeh-api")}


@functools.lru_cache(maxsize=4)
def _module_b64(mtime_ns: int) -> str:
    return b64(gzip.compress(BUNDLE.read_bytes(), 9, mtime=0))


def module_part() -> str:
    """The widget's ES module, gzip-compressed, as base64 (re-read when the bundle is rebuilt)."""
    return _module_b64(BUNDLE.stat().st_mtime_ns)


def module_version() -> str:
    """A short hash of the widget module: outputs made by different nbtrack versions load their own."""
    return hashlib.sha256(module_part().encode("ascii")).hexdigest()[:16]
