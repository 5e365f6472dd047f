"""Run ids and readable run names."""

from __future__ import annotations

import re
import secrets
import string
import time
import zlib
from pathlib import Path

_ALPHABET = string.ascii_lowercase + string.digits

ADJECTIVES = (
    "amber", "bold", "brisk", "calm", "clever", "cosmic", "crisp", "dashing", "eager", "fancy",
    "fearless", "gentle", "golden", "hardy", "honest", "jolly", "keen", "lively", "lucky",
    "mellow", "misty", "noble", "olive", "patient", "polished", "quiet", "rapid", "royal",
    "rustic", "serene", "sharp", "silver", "smooth", "solar", "spry", "steady", "sunny",
    "swift", "tidy", "vivid", "wandering", "warm", "wise", "young", "zesty",
)
NOUNS = (
    "aurora", "badger", "breeze", "brook", "canyon", "cedar", "comet", "coral", "crane",
    "dawn", "delta", "dune", "falcon", "fern", "field", "fjord", "forest", "galaxy", "glade",
    "harbor", "heron", "island", "lake", "lynx", "maple", "meadow", "mesa", "moon", "nebula",
    "oak", "orbit", "otter", "pine", "planet", "prairie", "quasar", "reef", "river", "sky",
    "sparrow", "star", "summit", "thunder", "tide", "valley", "wave", "willow", "wind",
)


def new_run_id() -> str:
    """Eight random lowercase letters and digits, like wandb's ids."""
    return "".join(secrets.choice(_ALPHABET) for _ in range(8))


def new_writer_id() -> str:
    """Unique per writer lifetime; sorts by start time."""
    stamp = time.strftime("%Y%m%dT%H%M%S", time.gmtime())
    return f"w{stamp}-{secrets.token_hex(4)}"


def new_run_name(logdir: Path) -> str:
    """A readable name such as ``'swift-river-7'``; the number counts runs in the logdir."""
    try:
        count = sum(1 for p in logdir.iterdir() if p.is_dir())
    except OSError:
        count = 0
    return f"{secrets.choice(ADJECTIVES)}-{secrets.choice(NOUNS)}-{count + 1}"


def run_id_for_folder(folder_name: str) -> str:
    """The run id of a run kept in a folder it did not name (``SummaryWriter(log_dir)``).

    The folder's name when it is a valid run id; otherwise its allowed characters, cut to
    55, and a CRC32 of the whole name, so distinct folder names keep distinct ids.

    >>> run_id_for_folder("Dec06_09-36-52_host"), run_id_for_folder("lr 0.1, bs=32")
    ('Dec06_09-36-52_host', 'lr_0.1_bs_32-3bb10283')
    """
    if re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}", folder_name) and ".." not in folder_name:
        return folder_name
    cleaned = re.sub(r"[^A-Za-z0-9_.-]+", "_", folder_name).replace("..", "_").strip("_.-")[:55] or "run"
    return f"{cleaned}-{zlib.crc32(folder_name.encode('utf-8', 'surrogatepass')):08x}"
