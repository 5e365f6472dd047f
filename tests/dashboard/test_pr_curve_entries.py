"""PR curves reach the browser as the precision and recall of the logged labels and scores: in snapshots
(static outputs, reports) and the live feed, from ``nbtrack.PRCurve``, ``SummaryWriter.add_pr_curve``,
``add_pr_curve_raw`` and TensorBoard event files alike, as JSON that ``JSON.parse`` reads."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

import nbtrack
from nbtrack.dashboard.feed import LiveFeed
from nbtrack.dashboard.prcurves import browser_curve
from nbtrack.dashboard.protocol import decode_media, encode_media, media_entry
from nbtrack.dashboard.snapshot import media_of
from nbtrack.tensorboard import SummaryWriter

RNG = np.random.default_rng(7)
LABELS = RNG.random(300) < 0.4
SCORES = np.clip(np.where(LABELS, 0.65, 0.35) + RNG.normal(0, 0.2, 300), 0, 1)


def expected(labels: np.ndarray, scores: np.ndarray, n: int) -> dict[str, np.ndarray]:
    """Precision and recall at n thresholds evenly spaced on [0, 1], counted directly (TensorBoard's rule:
    an example counts as predicted positive at threshold t_i when floor(score * (n - 1)) >= i)."""
    thresholds = np.linspace(0, 1, n)
    bucket = np.floor(scores * (n - 1))
    positive = bucket[None, :] >= np.arange(n)[:, None]
    tp = (positive & labels).sum(1).astype(float)
    fp = (positive & ~labels).sum(1).astype(float)
    fn, tn = labels.sum() - tp, (~labels).sum() - fp
    return {"thresholds": thresholds, "tp": tp, "fp": fp, "tn": tn, "fn": fn,
            "precision": tp / np.maximum(tp + fp, 1e-7), "recall": tp / np.maximum(tp + fn, 1e-7)}


def received(entry: dict) -> dict[str, np.ndarray]:
    """What the browser's JSON.parse gets from an entry (no NaN literals: strict JSON), as arrays."""
    (data,) = entry["data"]
    body = json.loads(bytes(data), parse_constant=lambda c: pytest.fail(f"{c} is not JSON"))
    return {k: np.array([float(v) for v in values]) for k, values in body.items()}


def check(entry: dict, labels: np.ndarray, scores: np.ndarray, n: int) -> None:
    got, want = received(entry), expected(labels, scores, n)
    assert entry["kind"] == "pr_curve" and set(got) == set(want)
    for key in want:
        np.testing.assert_allclose(got[key], want[key], rtol=1e-12, atol=1e-12, err_msg=key)


def test_the_snapshot_carries_precision_and_recall_of_the_logged_labels_and_scores(tmp_path: Path) -> None:
    with nbtrack.init(dir=tmp_path, name="r") as run:
        for step in range(3):
            run.log({"pr": nbtrack.PRCurve(LABELS, SCORES ** (step + 1), num_thresholds=21)}, step=step)
    entries = [e for e in media_of(nbtrack.open(tmp_path).run("r")) if e["key"] == "pr"]
    assert [e["step"] for e in entries] == [0, 1, 2]
    for step, entry in enumerate(entries):
        check(entry, LABELS, SCORES ** (step + 1), 21)
    (back,) = decode_media(*encode_media(1, entries[:1]))  # the live message's layout carries the same bytes
    assert bytes(back["data"][0]) == bytes(entries[0]["data"][0])


def test_the_live_feed_sends_the_same_points(tmp_path: Path) -> None:
    sent: list = []
    with nbtrack.init(dir=tmp_path, name="live") as run:
        feed = LiveFeed(lambda message, buffers: sent.append((message, buffers)), run=run.id)
        run.attach(feed)
        run.log({"pr": nbtrack.PRCurve(LABELS, SCORES, num_thresholds=11)}, step=4)
    entries = [e for message, buffers in sent if message["kind"] == "media" for e in decode_media(message, buffers)]
    (entry,) = [e for e in entries if e["key"] == "pr"]
    assert entry["step"] == 4
    check(entry, LABELS, SCORES, 11)


def test_summary_writer_curves_and_raw_curves_with_nan_arrive_as_json(tmp_path: Path) -> None:
    with SummaryWriter(str(tmp_path / "tb")) as writer:
        writer.add_pr_curve("pr", LABELS.astype(int), SCORES, global_step=2, num_thresholds=9)
        tp, fp = np.array([5.0, 3.0, 0.0]), np.array([5.0, 1.0, 0.0])
        writer.add_pr_curve_raw("raw", tp, fp, 5 - fp, 5 - tp, np.array([0.5, 0.75, np.nan]), tp / 5, global_step=1)
    entries = {e["key"]: e for e in media_of(nbtrack.open(tmp_path).run("tb"))}
    check(entries["pr"], LABELS, SCORES, 9)
    raw = received(entries["raw"])
    assert json.loads(bytes(entries["raw"]["data"][0]))["precision"][2] == "nan", "NaN travels as a string"
    assert raw["tp"].tolist() == [5.0, 3.0, 0.0] and raw["thresholds"].tolist() == [0.0, 0.5, 1.0]


def test_tensorboard_event_files_pr_curves_reach_the_browser(tmp_path: Path) -> None:
    tbx = pytest.importorskip("tensorboardX")
    with tbx.SummaryWriter(str(tmp_path / "r")) as writer:
        writer.add_pr_curve("pr", LABELS.astype(int), SCORES, 7, num_thresholds=11)
    (entry,) = [e for e in media_of(nbtrack.open(tmp_path).run("r")) if e["key"] == "pr"]
    got, want = received(entry), expected(LABELS, SCORES.astype(np.float32).astype(float), 11)
    np.testing.assert_allclose(got["tp"], want["tp"])
    np.testing.assert_allclose(got["precision"], want["precision"], rtol=1e-6)  # float32 in event files
    np.testing.assert_allclose(got["recall"], want["recall"], rtol=1e-6)


def test_a_malformed_curve_is_left_out_with_a_clear_error() -> None:
    with pytest.raises(ValueError, match="not JSON"):
        browser_curve(b"{nope")
    with pytest.raises(ValueError, match="lists"):
        browser_curve(b'{"thresholds": [0], "precision": [1]}')
    with pytest.raises(ValueError, match="one length"):
        browser_curve(b'{"thresholds": [0, 1], "precision": [1], "recall": [1]}')
    with pytest.raises(ValueError, match="numbers"):
        browser_curve(b'{"thresholds": ["<b>"], "precision": [1], "recall": [1]}')
    big = media_entry("r", "pr", 0, None, "pr_curve", {}, main=b" " * (2 << 20))
    assert big["data"] == [], "beyond MAX_OTHER_BYTES only the meta travels"
