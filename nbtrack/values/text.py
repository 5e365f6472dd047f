"""``nbtrack.Text``, ``nbtrack.Markdown`` and ``nbtrack.Html``: strings kept as data."""

from __future__ import annotations

from typing import Any

from ._base import Encoded, Value

MAX_TEXT_BYTES = 16 * 1024 * 1024


def _check_text(text: Any, where: str) -> str:
    if not isinstance(text, str):
        raise TypeError(f"{where}: text must be a str, got {type(text).__name__}")
    if len(text.encode("utf-8", "surrogatepass")) > MAX_TEXT_BYTES:
        raise ValueError(f"{where}: text of more than {MAX_TEXT_BYTES} bytes is not accepted")
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        raise ValueError(f"{where}: text holds lone surrogates and is not valid Unicode") from None
    return text


class Text(Value):
    """Plain text, shown escaped (never interpreted as markup).

    >>> import nbtrack
    >>> nbtrack.Text("loss went down 📉").text
    'loss went down 📉'
    """

    KIND = "text"

    def __init__(self, text: str, caption: str | None = None) -> None:
        self.text = _check_text(text, f"{type(self).__name__}()")
        self.caption = caption if caption is None else _check_text(caption, f"{type(self).__name__}(caption)")

    @property
    def nbytes(self) -> int:
        return len(self.text) * 4

    def encode(self) -> Encoded:
        return Encoded(self.KIND, {"caption": self.caption, "length": len(self.text)}, text=self.text)


class Markdown(Text):
    """Markdown text, rendered safely (raw HTML in it is escaped, not run)."""

    KIND = "markdown"


class Html(Text):
    """An HTML fragment, stored as data and only ever shown in a sandboxed frame without scripts."""

    KIND = "html"
