"""``MixedRun``: an nbtrack run whose folder also holds TensorBoard event files.

It happens when training code written for TensorBoard ran once, then ran again after
``from torch.utils.tensorboard import SummaryWriter`` became ``from nbtrack import SummaryWriter``:
the writer's ``log_dir`` is the run's folder, and the old event files are still in it. TensorBoard
merges every file of a folder into one run; so does nbtrack: the event files' points, values and
hparams join the nbtrack run's own (points ordered by step across both).

>>> import tempfile
>>> import nbtrack
>>> from tensorboardX import SummaryWriter
>>> d = tempfile.mkdtemp()
>>> with SummaryWriter(f"{d}/exp") as w:
...     w.add_scalar("loss", 2.0, 0)
>>> with nbtrack.SummaryWriter(f"{d}/exp") as w:
...     w.add_scalar("loss", 1.0, 1)
>>> nbtrack.open(d).run("exp").scalars("loss")["value"].tolist()
[2.0, 1.0]
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from nbtrack.store.reader import RunReader, writer_of
from nbtrack.store.tail import DamageReport

from .folder import EventFolder
from .media import TensorBoardMedia


class MixedRun(RunReader):
    """An nbtrack run folder read with the TensorBoard event files that lie beside its data."""

    def __init__(self, path: str | Path, stale_after: float | None = None, root: str | Path | None = None) -> None:
        self.events: EventFolder | None = None
        super().__init__(path, stale_after)
        self._media = TensorBoardMedia(self.path)  # nbtrack's media files and the event files' values
        self.events = EventFolder(self, self.path, self._media)

    def _read_new(self, until: Any = None) -> None:
        super()._read_new(until)
        if self.events is not None:
            self.events.read_new(self.stale_after)

    def _known_damage(self) -> list[DamageReport]:
        out = super()._known_damage()
        return out + list(self.events.problems) if self.events is not None else out

    def signature(self) -> tuple[Any, ...] | None:
        own = super().signature()
        return None if own is None else (*own, *(self.events.sizes() if self.events is not None else ()))

    def _tensorboard_writers(self) -> dict[str, tuple[int, int | None]] | None:
        """A run recorded by ``SummaryWriter`` reads its points in writer order with TensorBoard's step rule;
        the event files were written before it, so they come first, in name order."""
        writers = super()._tensorboard_writers()
        if writers is None or self.events is None:
            return writers
        files = sorted(self.events.tails, key=lambda p: p.name)
        first = {writer_of(path): (i - len(files), None) for i, path in enumerate(files)}
        return {**first, **writers}

    @property
    def config(self) -> dict[str, Any]:
        """The event files' hparams, then the nbtrack run's config (which wins on a clash)."""
        return {**(self.events.hparams if self.events is not None else {}), **super().config}

    @property
    def summary(self) -> dict[str, Any]:
        return {**(self.events.summary if self.events is not None else {}), **super().summary}

    @property
    def layout(self) -> dict[str, Any] | None:
        own = getattr(super(), "layout", None)
        return own if own else (self.events.layout if self.events is not None else None)
