"""The benchmark notebook of ``bench_live.py``: what runs in the kernel.

Four code cells, run by index from the page:

0. set-up: imports, a small numpy MLP trained with SGD on a fixed data set (about 0.3 ms of numpy work
   per step on one core, so 20,000 steps take a few seconds) and ``new_run(show)``;
1. the dashboard cell, re-run (with a new source) before every loop: it sets ``STEPS`` and ``SIGNAL``, then
   ``new_run(show=True)`` returns ``run.show()``, displayed as the cell's output, or ``new_run(show=False)``
   displays nothing (re-running the cell also removes the previous repetition's dashboard view);
2. the training loop: ``STEPS`` steps, 4 scalars logged per step, then one line
   ``NBTRACK_LIVE_RESULT {json}`` with the loop's wall and CPU times and the feed's counters, also written
   to ``SIGNAL`` (the driver waits for that file without touching the page); the run is still live;
3. ``run.finish()``, timed, and the feed's counters again.

In the media mode (``notebook(..., media=True)``) the set-up also defines ``picture()`` (a 64×64×3 ``uint8``
picture of the first layer's weights) and ``activations()`` (100,000 hidden activations of a fixed probe
batch), and the loop adds ``nbtrack.Image(picture())`` to the step's dict every ``IMAGE_EVERY`` = 100 steps
and ``nbtrack.Histogram(activations())`` every ``HISTOGRAM_EVERY`` = 50 steps (step 0 included), in the same
``run.log()`` call as the 4 scalars; it reports how many it logged and the feed's ``media_sent``.
"""

from __future__ import annotations

import json

RESULT_PREFIX = "NBTRACK_LIVE_RESULT "

SETUP = '''\
import json, os, time
import numpy as np
import nbtrack

LOGDIR = {logdir!r}
FLUSH_INTERVAL = {flush_interval!r}
SIGNAL = None   # set by the driver before each loop
STEPS = 20_000  # set by the driver before each loop
run = dash = None

# A small two-layer MLP regressor trained by minibatch SGD: realistic per-step numpy work (about 0.3 ms).
_rng = np.random.default_rng(0)
N, D, H, B = 10752, 64, 96, 448
X = _rng.standard_normal((N, D))
Y = np.tanh(X @ _rng.standard_normal((D, 1)) / np.sqrt(D)) + 0.1 * _rng.standard_normal((N, 1))


def new_run(show):
    """A fresh run (and weights); its dashboard if ``show``, displayed as the cell's value."""
    global run, dash, W1, W2
    if dash is not None:
        dash.close()  # the previous repetition's widget: detach its feed, close its comm
    W1 = _rng.standard_normal((D, H)) / np.sqrt(D)
    W2 = _rng.standard_normal((H, 1)) / np.sqrt(H)
    run = nbtrack.init(dir=LOGDIR, flush_interval=FLUSH_INTERVAL)
    dash = run.show() if show else None
    return dash


def train_step(i, steps):
    """One SGD step; returns loss, accuracy (|error| < 0.1), learning rate and gradient norm."""
    global W1, W2
    j = (i * B) % N
    xb, yb = X[j:j + B], Y[j:j + B]
    h = np.tanh(xb @ W1)
    err = h @ W2 - yb
    g = err * (2.0 / B)
    gw2 = h.T @ g
    gw1 = xb.T @ ((g @ W2.T) * (1.0 - h * h))
    lr = 0.025 * (1.0 + np.cos(np.pi * i / steps))
    W1 -= lr * gw1
    W2 -= lr * gw2
    return (float(np.mean(err * err)), float(np.mean(np.abs(err) < 0.1)), float(lr),
            float(np.sqrt(np.sum(gw1 * gw1) + np.sum(gw2 * gw2))))


print(json.dumps({{"kernel_pid": os.getpid(), "numpy": np.__version__, "nbtrack": nbtrack.__version__}}))
'''

# The media mode's additions to the set-up (cell 0), run after SETUP.
MEDIA_SETUP = '''
IMAGE_EVERY, HISTOGRAM_EVERY, HISTOGRAM_VALUES = {image_every}, {histogram_every}, {histogram_values}
IMAGE_TAG, HISTOGRAM_TAG = {image_tag!r}, {histogram_tag!r}
PROBE = X[:-(-HISTOGRAM_VALUES // H)]  # a fixed probe batch with at least HISTOGRAM_VALUES hidden activations


def picture():
    """A 64x64x3 uint8 picture of the first layer's weights (three overlapping 64-column windows as RGB)."""
    w = np.stack([W1[:, :64], W1[:, 16:80], W1[:, 32:96]], axis=-1)
    return np.clip(128.0 + 512.0 * w, 0.0, 255.0).astype(np.uint8)


def activations():
    """HISTOGRAM_VALUES hidden-layer activations on the probe batch (about 0.3 ms)."""
    return np.tanh(PROBE @ W1).ravel()[:HISTOGRAM_VALUES]
'''

# The media mode's value types and tags.
IMAGE_EVERY = 100
HISTOGRAM_EVERY = 50
HISTOGRAM_VALUES = 100_000
IMAGE_TAG = "weights/layer1"
HISTOGRAM_TAG = "activations/hidden"


def dashboard_source(show: bool, steps: int, signal: str) -> str:
    """Cell 1: the next loop's parameters, then a fresh run and, if ``show``, its dashboard as the value."""
    last = ("new_run(show=True)  # the live dashboard, displayed before the loop" if show
            else "new_run(show=False)  # no dashboard: the cell displays nothing")
    return f"STEPS = {steps}\nSIGNAL = {signal!r}\n{last}"


_LOOP_START = '''\
steps = STEPS
t0, c0, m0 = time.perf_counter(), time.process_time(), time.thread_time()
for i in range(steps):
    loss, acc, lr, grad_norm = train_step(i, steps)
'''

_LOOP_SCALARS = '''\
    run.log({"train/loss": loss, "train/acc": acc, "train/lr": lr, "train/grad_norm": grad_norm})
'''

# The media loop: the 4 scalars, plus an image and/or a histogram on their steps, in one log() call.
_LOOP_MEDIA = '''\
    row = {"train/loss": loss, "train/acc": acc, "train/lr": lr, "train/grad_norm": grad_norm}
    if i % HISTOGRAM_EVERY == 0:
        row[HISTOGRAM_TAG] = nbtrack.Histogram(activations())
        histograms, last_histogram = histograms + 1, i
    if i % IMAGE_EVERY == 0:
        row[IMAGE_TAG] = nbtrack.Image(picture())
        images, last_image = images + 1, i
    run.log(row)
'''

_LOOP_END = '''\
wall, cpu, main_cpu = time.perf_counter() - t0, time.process_time() - c0, time.thread_time() - m0
result = {
    "steps": steps, "wall_s": wall, "process_cpu_s": cpu, "main_thread_cpu_s": main_cpu, "dashboard": dash is not None,
    "last": {"train/loss": loss, "train/acc": acc, "train/lr": lr, "train/grad_norm": grad_norm},
    "run_id": run.id,
}
'''

_LOOP_END_MEDIA = '''\
result.update(images=images, histograms=histograms, image_last_step=last_image, histogram_last_step=last_histogram,
              image_tag=IMAGE_TAG, histogram_tag=HISTOGRAM_TAG)
'''

_FEED_COUNTERS = '''\
if dash is not None:
    feed = dash._feed
    result.update(feed_cpu_s=feed.cpu_seconds, bytes_sent=feed.bytes_sent, messages=feed.seq,
                  points_sent=feed.points_sent, media_sent=getattr(feed, "media_sent", None),
                  media_error=None if getattr(feed, "media_error", None) is None else repr(feed.media_error))
print("NBTRACK_LIVE_RESULT " + json.dumps(result))
'''

LOOP = _LOOP_START + _LOOP_SCALARS + _LOOP_END + _FEED_COUNTERS + '''\
with open(SIGNAL, "w") as f:
    json.dump(result, f)
'''
LOOP_MEDIA = '''\
images = histograms = 0  # logged, and the steps of the last ones
last_image = last_histogram = None
''' + _LOOP_START + _LOOP_MEDIA + _LOOP_END + _LOOP_END_MEDIA + _FEED_COUNTERS + '''\
with open(SIGNAL, "w") as f:
    json.dump(result, f)
'''


def loop_source(media: bool = False) -> str:
    """Cell 2: the training loop, with the media values if ``media``."""
    return LOOP_MEDIA if media else LOOP


FINISH = '''\
t1 = time.perf_counter()
run.finish()
result = {"finish_s": time.perf_counter() - t1}
''' + _FEED_COUNTERS


def setup_source(logdir: str, flush_interval: float, media: bool = False) -> str:
    """Cell 0, recording runs under ``logdir`` with ``init(flush_interval=...)``."""
    source = SETUP.format(logdir=logdir, flush_interval=flush_interval)
    if media:
        source += MEDIA_SETUP.format(image_every=IMAGE_EVERY, histogram_every=HISTOGRAM_EVERY,
                                     histogram_values=HISTOGRAM_VALUES, image_tag=IMAGE_TAG,
                                     histogram_tag=HISTOGRAM_TAG)
    return source


def notebook(logdir: str, flush_interval: float, media: bool = False) -> dict:
    """The notebook as nbformat 4 JSON (with the media loop if ``media``)."""
    sources = [setup_source(logdir, flush_interval, media), dashboard_source(True, 0, ""), loop_source(media),
               FINISH]
    cells = [{"cell_type": "code", "metadata": {}, "source": s, "outputs": [], "execution_count": None}
             for s in sources]
    cells[0]["metadata"] = {"jupyter": {"source_hidden": True}}  # keeps the dashboard high on the page
    return {"cells": cells, "metadata": {}, "nbformat": 4, "nbformat_minor": 5}


def parse_result(outputs: list[dict]) -> dict | None:
    """The ``NBTRACK_LIVE_RESULT`` line from a cell's outputs (nbformat JSON)."""
    for o in outputs:
        if o.get("output_type") != "stream":
            continue
        text = o.get("text", "")
        text = "".join(text) if isinstance(text, list) else text
        for line in text.splitlines():
            if line.startswith(RESULT_PREFIX):
                return json.loads(line[len(RESULT_PREFIX):])
    return None


def output_text(outputs: list[dict]) -> str:
    """Every stream text and error of a cell's outputs, for scanning (IOPub warnings arrive as stderr)."""
    parts = []
    for o in outputs:
        if o.get("output_type") == "stream":
            text = o.get("text", "")
            parts.append("".join(text) if isinstance(text, list) else text)
        elif o.get("output_type") == "error":
            parts.append(f"{o.get('ename')}: {o.get('evalue')}")
    return "".join(parts)
