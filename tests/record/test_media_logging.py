"""Logging media values: steps and commit for media, snapshots of the logged arrays, bounded memory,
safe media file names, unique files on resume, and keys that cannot be stored.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import nbtrack


def test_logged_arrays_are_snapshots(logdir):
    arr = np.zeros((2, 2), np.uint8)
    values = np.ones(10)
    run = nbtrack.init()
    run.log({"i": nbtrack.Image(arr), "h": nbtrack.Histogram(values)})
    arr[:] = 255
    values[:] = 5
    run.finish()
    r = nbtrack.open(logdir).run(run.id)
    assert r.images("i").image[0].max() == 0 and r.histograms("h")["max"][0] == 1.0


def test_nothing_lost_when_finish_follows_a_burst(logdir):
    run = nbtrack.init()
    for step in range(1000):
        run.log({"img": nbtrack.Image(np.full((8, 8, 3), step % 256, np.uint8)), "x": float(step)})
    run.finish()
    images = nbtrack.open(logdir).run(run.id).images("img")
    assert len(images) == 1000 and images["step"].tolist() == list(range(1000))
    assert [int(i[0, 0, 0]) for i in images.image] == [s % 256 for s in range(1000)]


def _rss_bytes() -> int:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    raise RuntimeError("no VmRSS")


@pytest.mark.slow
def test_memory_stays_bounded_with_10000_large_images(logdir):
    from nbtrack.record import run as recorder

    run = nbtrack.init()
    base = np.add.outer(np.arange(256), np.arange(256)).astype(np.uint8)
    rss_before, peak_queue, peak_rss = _rss_bytes(), 0, 0
    for step in range(10_000):
        img = np.stack([base + step % 7, base, base], axis=-1)  # 196 KB each, 1.9 GB in all
        run.log({"big": nbtrack.Image(img)})
        peak_queue = max(peak_queue, run._collector.media_bytes)
        if step % 500 == 0:
            peak_rss = max(peak_rss, _rss_bytes())
    run.finish()
    assert peak_queue <= recorder.MAX_MEDIA_BYTES + img.nbytes
    assert peak_rss - rss_before < 2 * recorder.MAX_MEDIA_BYTES + 128 * 2**20  # far below the 1.9 GB logged
    assert len(nbtrack.open(logdir).run(run.id).media("big")) == 10_000


def test_media_tags_map_to_safe_files_inside_the_run(logdir):
    tags = ["a/b", "with space", "../../escape", "..", "训练/图像 😀", "x\\y"]
    run = nbtrack.init()
    run.log({tag: nbtrack.Image(np.zeros((2, 2), np.uint8)) for tag in tags})
    run.finish()
    root = run.dir.resolve()
    files = [p.resolve() for p in (run.dir / "media").rglob("*") if p.is_file()]
    assert len(files) == len(tags)
    assert all(str(p).startswith(str(root / "media")) for p in files)
    assert all(p.parent.parent == root / "media" for p in files)  # exactly one folder per tag
    assert len({p.parent for p in files}) == len(tags)
    r = nbtrack.open(logdir).run(run.id)
    assert set(r.media_tags()) == set(tags)
    assert all(len(r.images(tag)) == 1 for tag in tags)


IMG = np.arange(12, dtype=np.uint8).reshape(2, 2, 3)


def _run(tmp_path, name="r"):
    return nbtrack.init(dir=tmp_path / "runs", name=name)


def _reader(tmp_path, run):
    return nbtrack.open(tmp_path / "runs").run(run.id)


def _finish_quietly(run):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            run.finish()
        except nbtrack.errors.RunWriteError:
            pass


def test_media_tag_with_a_lone_surrogate_is_rejected_at_log_time(tmp_path):
    """A media key with a lone surrogate passes check_key; mkdir of its folder then fails in the
    writer, and every media record of the run is lost."""
    run = _run(tmp_path)
    try:
        with pytest.raises(ValueError):
            run.log({"x\ud800": nbtrack.Image(IMG)})
    finally:
        _finish_quietly(run)


def test_media_steps_commit_nesting_and_queue_accounting(tmp_path):
    run = _run(tmp_path)
    run.log({"val": {"img": nbtrack.Image(IMG)}, "loss": 0.5}, step=10, commit=False)
    run.log({"val": {"img": nbtrack.Image(IMG[::-1])}}, commit=False)
    assert run.step == 10
    run.log({"g": [nbtrack.Image(IMG), nbtrack.Image(IMG)]})
    assert run.step == 11
    with pytest.raises(TypeError):
        run.log({"empty": []})
    run.finish()
    assert run._collector.media_bytes == 0
    r = _reader(tmp_path, run)
    imgs = r.images("val/img")
    assert imgs["step"].tolist() == [10, 10] and imgs["path"].nunique() == 2
    assert r.images("g")["index"].tolist() == [0, 1]
    assert r.scalars("loss")["step"].tolist() == [10]


def test_resumed_run_media_files_are_unique(tmp_path):
    run = nbtrack.init(dir=tmp_path / "runs", id="res1")
    run.log({"img": nbtrack.Image(IMG)}, step=0)
    run.finish()
    run2 = nbtrack.init(dir=tmp_path / "runs", id="res1", resume="allow")
    run2.log({"img": nbtrack.Image(IMG[::-1])}, step=0 if run2.step == 0 else run2.step)
    run2.finish()
    frame = nbtrack.open(tmp_path / "runs").run("res1").images("img")
    assert len(frame) == 2 and frame["path"].nunique() == 2
    assert not np.array_equal(frame["image"][0], frame["image"][1])
