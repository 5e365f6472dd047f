"""A progress bar for long reads and writes (``import-tb``, exports): tqdm, or a silent stand-in."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any


class NoBar:
    """What a bar offers the code that drives it, showing nothing (messages still print)."""

    def update(self, n: int = 1) -> None:
        pass

    def write(self, text: str) -> None:
        print(text)


@contextmanager
def progress_bar(total: int, show: bool | None, *, unit: str, desc: str) -> Iterator[Any]:
    """A tqdm bar over ``total`` items (``tqdm.auto``: a widget in notebooks), or :class:`NoBar`.

    ``show``: ``True`` always, ``False`` never, ``None`` only when the output is a terminal
    (tqdm's ``disable=None``).

    >>> with progress_bar(3, False, unit=" runs", desc="export") as bar:
    ...     bar.update(3)
    >>> type(bar).__name__
    'NoBar'
    """
    if show is False:
        yield NoBar()
        return
    from tqdm.auto import tqdm

    with tqdm(total=total, unit=unit, desc=desc, disable=None if show is None else False) as bar:
        yield bar
