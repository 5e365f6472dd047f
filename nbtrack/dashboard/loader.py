"""``BokehLoader``: one small widget model per kernel that carries BokehJS to the page.

Every dashboard references it, so BokehJS travels once per kernel however many
dashboards are shown. Its model is created in the page even when it is never displayed,
and its ``initialize()`` injects the two scripts once per page (measured in
``docs/dev/bokeh-loader-prototype``). It also answers zoom-detail requests from static
outputs made by this kernel (``zoom.py``).
"""

from __future__ import annotations

import uuid
from typing import Any

import anywidget
import traitlets

from .assets import BUNDLE, bokehjs
from .zoom import SERVER as ZOOM_SERVER


class BokehLoader(anywidget.AnyWidget):
    """Carries BokehJS to the page once per kernel (``BokehLoader.instance()``)."""

    _esm = BUNDLE
    _uid = traitlets.Unicode("").tag(sync=True)
    bokeh_core = traitlets.Unicode("").tag(sync=True)
    bokeh_api = traitlets.Unicode("").tag(sync=True)
    _instance: BokehLoader | None = None

    @classmethod
    def instance(cls) -> BokehLoader:
        """The kernel's loader, made on first use (and again if it was closed)."""
        if cls._instance is None or cls._instance.comm is None:
            cls._instance = cls(_uid=uuid.uuid4().hex, bokeh_core=bokehjs("bokeh.min.js"),
                                bokeh_api=bokehjs("bokeh-api.min.js"))
            cls._instance.on_msg(cls._instance._on_message)
        return cls._instance

    def _on_message(self, _widget: Any, content: Any, _buffers: Any) -> None:
        """Zoom-detail requests from static outputs of this kernel (``zoom.py``); answered at once."""
        if isinstance(content, dict) and content.get("kind") == "detail":
            reply, buffers = ZOOM_SERVER.handle(content)
            self.send(reply, buffers=buffers)
