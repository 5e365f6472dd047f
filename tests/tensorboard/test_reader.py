"""TensorBoard logdirs read as runs: files written here by tensorboardX read back with the same values.

Covers the reader (``nbtrack/tensorboard/reader``): runs named as TensorBoard names them, every
kind of value, steps that go back, following a growing file, torn and damaged records, and
logdirs that mix nbtrack and TensorBoard runs.
"""

from __future__ import annotations

import os
import shutil
import time
import warnings
from pathlib import Path

import numpy as np
import pytest

import nbtrack
from nbtrack.dashboard.watcher import LogdirWatcher
from nbtrack.tensorboard.reader.run import TensorBoardRun

tbx = pytest.importorskip("tensorboardX", reason="tensorboardX (a test dependency) writes the event files")


def eventually(read, expected, timeout: float = 10.0):
    """``read()`` until it returns ``expected`` (tensorboardX writes from a thread of its own)."""
    deadline = time.monotonic() + timeout
    got = read()
    while got != expected and time.monotonic() < deadline:
        time.sleep(0.05)
        got = read() if not isinstance(got, list) else got + read()
    return got


def wav_bytes(samples: np.ndarray, rate: int) -> bytes:
    import io
    import wave

    out = io.BytesIO()
    with wave.open(out, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes((np.clip(samples, -1, 1) * 32767).astype("<i2").tobytes())
    return out.getvalue()


def write_scalars(folder: Path, tag: str, values: list[float], start: int = 0) -> None:
    with tbx.SummaryWriter(str(folder)) as writer:
        for i, value in enumerate(values):
            writer.add_scalar(tag, value, start + i)


def test_runs_are_named_by_their_path_relative_to_the_logdir(tmp_path: Path) -> None:
    write_scalars(tmp_path / "fit" / "20240101-120000" / "train", "epoch_loss", [1.0, 0.5])
    write_scalars(tmp_path / "fit" / "20240101-120000" / "validation", "epoch_loss", [1.2, 0.7])
    write_scalars(tmp_path / "baseline", "epoch_loss", [2.0])
    logdir = nbtrack.open(tmp_path)
    names = sorted(r.name for r in logdir.readers())
    assert names == ["baseline", "fit/20240101-120000/train", "fit/20240101-120000/validation"]
    train = logdir.run("fit/20240101-120000/train")
    assert train.scalars("epoch_loss")["value"].tolist() == [1.0, 0.5]
    assert train.group == "fit/20240101-120000"  # train and validation of one fit group together
    frame = logdir.runs()
    assert set(frame["name"]) == set(names)
    assert frame.set_index("name").loc["baseline", "summary.epoch_loss"] == 2.0


def test_add_scalars_folders_are_runs_of_their_own_and_the_parent_run_stays(tmp_path: Path) -> None:
    with tbx.SummaryWriter(str(tmp_path / "exp")) as writer:
        writer.add_text("note", "hello", 0)
        for step in range(3):
            writer.add_scalars("loss", {"training": 1.0 / (step + 1), "validation": 2.0 / (step + 1)}, step)
    names = sorted(r.name for r in nbtrack.open(tmp_path).readers())
    assert names == ["exp", "exp/loss/training", "exp/loss/validation"]
    run = nbtrack.open(tmp_path).run("exp/loss/validation")
    assert run.scalars("loss")["value"].tolist() == [2.0, 1.0, float(np.float32(2.0 / 3))]  # simple_value: float32


def test_scalars_keep_value_step_and_wall_time(tmp_path: Path) -> None:
    with tbx.SummaryWriter(str(tmp_path / "r")) as writer:
        for step in (0, 10, 20):
            writer.add_scalar("x", step * 0.5, step, walltime=1_700_000_000 + step)
    frame = nbtrack.open(tmp_path).run("r").scalars("x")
    assert frame["step"].tolist() == [0, 10, 20]
    assert frame["value"].tolist() == [0.0, 5.0, 10.0]
    assert frame["time"].tolist() == [1_700_000_000.0, 1_700_000_010.0, 1_700_000_020.0]


def test_histograms_read_back_with_the_edges_as_written(tmp_path: Path) -> None:
    limits = [0.5, 1.5, 2.5]
    counts = [3.0, 4.0, 5.0]
    with tbx.SummaryWriter(str(tmp_path / "r")) as writer:
        writer.add_histogram_raw("w", min=-0.5, max=2.5, num=12, sum=10.0, sum_squares=20.0,
                                 bucket_limits=limits, bucket_counts=counts, global_step=3)
        writer.add_histogram("v", np.arange(100, dtype=np.float32), 4, bins=10)
    run = nbtrack.open(tmp_path).run("r")
    row = run.histograms("w").iloc[0]
    assert row["step"] == 3
    assert row["edges"].tolist() == [-0.5, 0.5, 1.5, 2.5]
    assert row["counts"].tolist() == counts
    assert (row["min"], row["max"], row["count"], row["sum"]) == (-0.5, 2.5, 12, 10.0)
    v = run.histograms("v").iloc[0]
    assert v["counts"].sum() == 100


def test_images_decode_to_their_pixels_one_and_several_per_step(tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    one = rng.integers(0, 255, (3, 8, 6), dtype=np.uint8)
    batch = rng.integers(0, 255, (4, 3, 5, 7), dtype=np.uint8)
    with tbx.SummaryWriter(str(tmp_path / "r")) as writer:
        writer.add_image("one", one, 1)
        writer.add_images("many", batch, 2)
    run = nbtrack.open(tmp_path).run("r")
    image = run.images("one").iloc[0]["image"]
    assert image.shape[:2] == (8, 6)
    assert np.array_equal(image[..., :3], one.transpose(1, 2, 0))
    many = run.images("many")["image"].iloc[0]  # tensorboardX writes a batch as one grid image
    assert many.ndim == 3


def test_text_audio_and_pr_curves(tmp_path: Path) -> None:
    wave = np.sin(np.linspace(0, 100, 8000)).astype(np.float32) * 0.5
    with tbx.SummaryWriter(str(tmp_path / "r")) as writer:
        writer.add_text("notes", "**bold** text", 5)
        # tensorboardX's add_audio needs soundfile; its Summary.Audio is written as add_audio writes it
        from tensorboardX.proto.summary_pb2 import Summary
        audio = Summary.Audio(sample_rate=8000, num_channels=1, length_frames=len(wave),
                              encoded_audio_string=wav_bytes(wave, 8000), content_type="audio/wav")
        writer._get_file_writer().add_summary(Summary(value=[Summary.Value(tag="sound", audio=audio)]), 1)
        writer.add_pr_curve("pr", np.array([1, 0, 1, 1]), np.array([0.9, 0.2, 0.6, 0.4]), 7, num_thresholds=11)
    run = nbtrack.open(tmp_path).run("r")
    texts = run.texts("notes/text_summary")  # the tag tensorboardX (and torch) write, as TensorBoard shows it
    assert texts["text"].tolist() == ["**bold** text"] and texts["step"].tolist() == [5]
    samples, rate = run.media("sound", decode=True)["value"].iloc[0]
    assert rate == 8000 and len(samples) == 8000
    assert np.allclose(np.ravel(samples) / 32767, wave, atol=1e-4)  # int16 PCM, as written
    curve = run.media("pr", decode=True)["value"].iloc[0]
    assert len(curve["tp"]) == 11 and curve["tp"][0] == 3.0  # every positive is above threshold 0


def test_hparams_become_config_and_metrics_of_their_session(tmp_path: Path) -> None:
    with tbx.SummaryWriter(str(tmp_path / "sweep")) as writer:
        writer.add_hparams({"lr": 0.1, "optimizer": "adam", "bn": True}, {"hparam/accuracy": 0.9}, name="trial1")
    frame = nbtrack.open(tmp_path).runs().set_index("name")
    assert frame.loc["sweep/trial1", "config.lr"] == 0.1
    assert frame.loc["sweep/trial1", "config.optimizer"] == "adam"
    assert frame.loc["sweep/trial1", "summary.hparam/accuracy"] == pytest.approx(0.9)  # float32


def test_a_step_that_goes_back_replaces_the_later_points_as_tensorboard_shows(tmp_path: Path) -> None:
    with tbx.SummaryWriter(str(tmp_path / "r")) as writer:
        for step in range(10):
            writer.add_scalar("loss", float(step), step)
        writer.add_scalar("other", 1.0, 100)
        for step in range(5, 8):  # restarted from a checkpoint at step 5
            writer.add_scalar("loss", 100.0 + step, step)
    run = nbtrack.open(tmp_path).run("r")
    loss = run.scalars("loss")
    assert loss["step"].tolist() == [0, 1, 2, 3, 4, 5, 6, 7]
    assert loss["value"].tolist() == [0, 1, 2, 3, 4, 105, 106, 107]
    assert run.scalars("other")["step"].tolist() == [100]  # other tags keep theirs


def test_a_writer_reopened_at_step_zero_in_the_same_folder_replaces_the_overlap(tmp_path: Path) -> None:
    write_scalars(tmp_path / "r", "x", [1.0] * 10)
    time.sleep(1.1)  # event file names carry the second they were created
    write_scalars(tmp_path / "r", "x", [2.0] * 4)
    x = nbtrack.open(tmp_path).run("r").scalars("x")
    assert x["step"].tolist() == [0, 1, 2, 3]
    assert x["value"].tolist() == [2.0] * 4


def test_following_a_growing_file_reads_only_new_records(tmp_path: Path) -> None:
    writer = tbx.SummaryWriter(str(tmp_path / "r"), flush_secs=1)
    try:
        for step in range(5):
            writer.add_scalar("x", float(step), step)
        writer.flush()
        run = TensorBoardRun(tmp_path / "r", root=tmp_path)
        steps = lambda: np.asarray(run.poll().series().get("x", ([],))[0]).tolist()  # noqa: E731
        assert eventually(steps, [0, 1, 2, 3, 4]) == [0, 1, 2, 3, 4]
        read = run.bytes_read
        for step in range(5, 8):
            writer.add_scalar("x", float(step), step)
        writer.flush()
        assert eventually(steps, [5, 6, 7]) == [5, 6, 7]
        assert run.bytes_read > read
        assert run.status == "running"
    finally:
        writer.close()


def _event_file(folder: Path) -> Path:
    (path,) = [p for p in folder.iterdir() if "tfevents" in p.name]
    return path


def test_a_torn_last_record_is_waited_for_while_fresh_then_reported(tmp_path: Path) -> None:
    write_scalars(tmp_path / "r", "x", [1.0, 2.0, 3.0])
    path = _event_file(tmp_path / "r")
    data = path.read_bytes()
    path.write_bytes(data[:-7])  # the last record cut short, as a writer caught mid-write leaves it
    fresh = TensorBoardRun(tmp_path / "r", stale_after=60, root=tmp_path)
    assert fresh.scalars("x")["value"].tolist() == [1.0, 2.0]
    assert fresh.damage == [] and fresh.status == "running"
    with path.open("ab") as f:
        f.write(data[-7:])  # the writer finishes the record
    assert fresh.scalars("x")["value"].tolist() == [1.0, 2.0, 3.0]
    path.write_bytes(data[:-7])
    old = time.time() - 3600
    os.utime(path, (old, old))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        stale = TensorBoardRun(tmp_path / "r", stale_after=30, root=tmp_path)
        assert stale.scalars("x")["value"].tolist() == [1.0, 2.0]
        assert stale.status == "finished"
        assert any("torn" in d.reason for d in stale.damage)


def test_a_flipped_byte_costs_only_its_record_and_is_reported_with_the_file(tmp_path: Path) -> None:
    write_scalars(tmp_path / "r", "x", [float(i) for i in range(20)])
    path = _event_file(tmp_path / "r")
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0x10
    path.write_bytes(bytes(data))
    with pytest.warns(RuntimeWarning, match="skipped damaged data"):
        run = TensorBoardRun(tmp_path / "r", stale_after=0, root=tmp_path)
        values = run.scalars("x")["value"].tolist()
    assert 17 <= len(values) < 20
    assert set(values) <= {float(i) for i in range(20)}  # never a wrong value
    assert run.scalars("x")["step"].tolist() == [int(v) for v in values]
    assert any(str(path) == d.file for d in run.damage)


def test_a_logdir_may_mix_nbtrack_and_tensorboard_runs(tmp_path: Path) -> None:
    write_scalars(tmp_path / "tb_run", "loss", [3.0, 2.0])
    with nbtrack.init(dir=str(tmp_path), name="nb_run") as run:
        run.log({"loss": 1.0})
    readers = {r.name: r for r in nbtrack.open(tmp_path).readers()}
    assert set(readers) == {"tb_run", "nb_run"}
    assert readers["tb_run"].history()["loss"].tolist() == [3.0, 2.0]
    assert readers["tb_run"].to_arrow().num_rows == 2


def test_the_track_watcher_follows_a_tensorboard_logdir(tmp_path: Path) -> None:
    writer = tbx.SummaryWriter(str(tmp_path / "train"), flush_secs=1)
    try:
        writer.add_scalar("loss", 1.0, 0)
        writer.flush()
        eventually(lambda: len(nbtrack.open(tmp_path).run("train").scalar_tags()), 1)
        watcher = LogdirWatcher([(None, tmp_path)])
        snap = watcher.first()
        assert [r["name"] for r in snap["runs"]] == ["train"]
        assert snap["runs"][0]["status"] == "running"
        writer.add_scalar("loss", 0.5, 1)
        writer.flush()
        series = eventually(lambda: [(s[1], s[2].tolist(), s[3].tolist()) for s in watcher.poll().series],
                            [("loss", [1], [0.5])])
        assert series == [("loss", [1], [0.5])]
        write_scalars(tmp_path / "validation", "loss", [0.7])
        update = watcher.poll()
        assert "validation" in [r["name"] for r in update.runs]  # train's info may change too (its summary)
        assert watcher.poll().points == 0  # nothing new: nothing sent
    finally:
        writer.close()


def test_reading_never_writes_into_the_logdir(tmp_path: Path) -> None:
    write_scalars(tmp_path / "r", "x", [1.0])
    before = sorted((p, p.stat().st_mtime_ns, p.stat().st_size) for p in tmp_path.rglob("*"))
    run = nbtrack.open(tmp_path).run("r")
    run.history(), run.damage, run.status
    assert sorted((p, p.stat().st_mtime_ns, p.stat().st_size) for p in tmp_path.rglob("*")) == before


def test_copied_logdirs_read_the_same(tmp_path: Path) -> None:
    write_scalars(tmp_path / "a" / "r", "x", [1.0, 2.0])
    shutil.copytree(tmp_path / "a", tmp_path / "b")
    a, b = nbtrack.open(tmp_path / "a").run("r"), nbtrack.open(tmp_path / "b").run("r")
    assert a.id != b.id  # ids follow the folder, so two logdirs watched together never collide
    assert a.scalars("x").equals(b.scalars("x"))


def test_files_written_by_torch_summary_writer_read_back_with_the_same_values(tmp_path: Path) -> None:
    torch = pytest.importorskip("torch", reason="torch's own SummaryWriter (CI installs torch==2.13.0)")
    from torch.utils.tensorboard import SummaryWriter

    rng = np.random.default_rng(1)
    image = rng.random((3, 6, 9), dtype=np.float32)
    weights = rng.normal(size=1000).astype(np.float32)
    wave = (np.sin(np.linspace(0, 50, 4000)) * 0.5).astype(np.float32)
    with SummaryWriter(str(tmp_path / "torch_run")) as writer:
        for step in range(4):
            writer.add_scalar("train/loss", 1.0 / (step + 1), step)
        writer.add_scalars("cmp", {"a": 1.0, "b": 2.0}, 0)
        writer.add_histogram("weights", torch.from_numpy(weights), 2)
        writer.add_image("img", torch.from_numpy(image), 3)
        writer.add_text("note", "hello *torch*", 1)
        writer.add_audio("wave", torch.from_numpy(wave), 0, sample_rate=4000)
        writer.add_pr_curve("pr", np.array([1, 0, 1]), np.array([0.8, 0.3, 0.6]), 0, num_thresholds=5)
        writer.add_hparams({"lr": 0.01, "opt": "sgd"}, {"hp/acc": 0.5}, run_name="hp")
    logdir = nbtrack.open(tmp_path)
    names = sorted(r.name for r in logdir.readers())
    assert names == ["torch_run", "torch_run/cmp_a", "torch_run/cmp_b", "torch_run/hp"]  # torch: main_tag_key
    run = logdir.run("torch_run")
    loss = run.scalars("train/loss")
    assert loss["step"].tolist() == [0, 1, 2, 3]
    assert loss["value"].tolist() == [float(np.float32(1.0 / (s + 1))) for s in range(4)]
    hist = run.histograms("weights").iloc[0]
    assert hist["counts"].sum() == 1000 and hist["step"] == 2
    assert hist["min"] == pytest.approx(float(weights.min())) and hist["max"] == pytest.approx(float(weights.max()))
    pixels = run.images("img").iloc[0]["image"]
    assert pixels.shape[:2] == (6, 9)
    assert np.abs(pixels[..., :3].astype(float) - image.transpose(1, 2, 0) * 255).max() <= 1.0
    assert run.texts("note/text_summary")["text"].tolist() == ["hello *torch*"]
    samples, rate = run.media("wave", decode=True)["value"].iloc[0]
    assert rate == 4000 and len(samples) == len(wave)
    curve = run.media("pr", decode=True)["value"].iloc[0]
    assert len(curve["tp"]) == 5 and curve["tp"][0] == 2.0
    hp = logdir.runs().set_index("name").loc["torch_run/hp"]
    assert hp["config.lr"] == 0.01 and hp["config.opt"] == "sgd"
    assert hp["summary.hp/acc"] == pytest.approx(0.5)


def test_event_files_already_in_a_summary_writer_folder_join_its_run(tmp_path: Path) -> None:
    with tbx.SummaryWriter(str(tmp_path / "exp")) as writer:  # the same code, before the import swap
        for step in range(6):
            writer.add_scalar("loss", 10.0 + step, step)
        writer.add_text("note", "before", 0)
    with nbtrack.SummaryWriter(str(tmp_path / "exp")) as writer:  # after: restarts at step 3
        for step in range(3, 5):
            writer.add_scalar("loss", float(step), step)
    (run,) = nbtrack.open(tmp_path).readers()
    assert run.name == "exp"
    loss = run.scalars("loss")
    assert loss["step"].tolist() == [0, 1, 2, 3, 4]  # the later writer replaces the overlap, as TensorBoard
    assert loss["value"].tolist() == [10.0, 11.0, 12.0, 3.0, 4.0]
    assert run.texts("note/text_summary")["text"].tolist() == ["before"]
    assert run.damage == []


def test_summary_writer_graphs_and_layouts_reach_the_dashboard_as_the_panels_take_them(tmp_path: Path) -> None:
    torch = pytest.importorskip("torch", reason="add_graph traces a torch model")
    import json

    from nbtrack.dashboard.snapshot import snapshot_of

    with nbtrack.SummaryWriter(str(tmp_path / "exp")) as writer:
        writer.add_graph(torch.nn.Sequential(torch.nn.Linear(3, 5), torch.nn.ReLU()), torch.zeros(2, 3))
        writer.add_custom_scalars({"loss": {"both": ["Multiline", ["train/.*"]], "m": ["Margin", ["v", "l", "u"]]}})
        writer.add_scalar("train/loss", 1.0, 0)
    snap = snapshot_of([nbtrack.open(tmp_path).run("exp")])
    assert [(m["kind"], m["key"]) for m in snap["media"]] == [("model", "model_graph")]  # the layout is no panel
    tree = json.loads(bytes(snap["media"][0]["data"][0]))
    assert [(c["type"], c["shape"], c["params"]) for c in tree["root"]["children"]] == [
        ("Linear", [2, 5], 20), ("ReLU", [2, 5], 0)]
    charts = snap["runs"][0]["layout"]["categories"][0]["charts"]
    assert charts == [{"title": "both", "multiline": ["train/.*"]},
                      {"title": "m", "margin": [{"value": "v", "lower": "l", "upper": "u"}]}]


def test_a_tf1_session_log_start_replaces_every_tags_points_from_its_step(tmp_path: Path) -> None:
    from tensorboardX.proto.event_pb2 import Event, SessionLog

    with tbx.SummaryWriter(str(tmp_path / "r")) as writer:
        for step in range(6):
            writer.add_scalar("a", float(step), step)
            writer.add_scalar("b", 10.0 + step, step)
        # the job restarted from its checkpoint at step 3 (TF1's supervisor writes this record)
        writer._get_file_writer().add_event(Event(step=3, session_log=SessionLog(status=SessionLog.START)))
        writer.add_scalar("a", 100.0, 4)
    run = nbtrack.open(tmp_path).run("r")
    assert run.scalars("a")["step"].tolist() == [0, 1, 2, 4]
    assert run.scalars("a")["value"].tolist() == [0.0, 1.0, 2.0, 100.0]
    assert run.scalars("b")["step"].tolist() == [0, 1, 2]  # every tag, not only those logged again


def test_preemption_rule_in_one_batch_and_against_points_read_before() -> None:
    from nbtrack.tensorboard.reader.preemption import preempt

    tags = np.array([0, 0, 1, 0, 1])
    steps = np.array([5, 6, 9, 2, 10])
    kept, cut = preempt(tags, steps, np.arange(5), [], {0: 3, 1: 8})
    assert kept.tolist() == [False, False, True, True, True]  # tag 0's step 2 drops its 5 and 6 in the batch
    assert cut == {0: 2}  # and its points read before from step 2 on; tag 1 rose past 8
    kept, cut = preempt(tags, steps, np.arange(5), [(3, 7)], {0: 3, 1: 8})
    assert kept.tolist() == [False, False, False, True, True]  # the restart at step 7 drops tag 1's 9
    assert cut == {0: 2, 1: 7}
