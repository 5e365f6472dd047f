"""``nbtrack.SummaryWriter``: torch's writer API, each ``add_*`` read back through ``nbtrack.open``."""

from __future__ import annotations

import json
import re
import threading
import warnings

import numpy as np
import pytest

import nbtrack
from nbtrack import SummaryWriter

torch = pytest.importorskip("torch")


def read(logdir, name="exp"):
    return nbtrack.open(logdir).run(name)


@pytest.fixture
def writer(tmp_path):
    w = SummaryWriter(tmp_path / "exp", flush_secs=60)
    yield w
    w.close()


def test_the_imports_mirror_torch():
    from nbtrack.tensorboard import SummaryWriter as FromPackage

    assert FromPackage is SummaryWriter is nbtrack.SummaryWriter


def test_scalars_keep_their_steps_and_wall_times(tmp_path, writer):
    for step in range(3):
        writer.add_scalar("loss", 1.0 / (step + 1), step)
    writer.add_scalar("custom_time", 0.2, 7, walltime=1_700_000_000.5)
    writer.add_scalar("tensor", torch.tensor(2.5), torch.tensor(4))
    writer.add_scalar("numpy", np.float32(1.5), np.int64(9))
    writer.add_scalar("no_step", 3.0)  # global_step None: step 0
    writer.close()
    run = read(tmp_path)
    assert run.scalars("loss")[["step", "value"]].values.tolist() == [[0, 1.0], [1, 0.5], [2, 1 / 3]]
    assert run.scalars("custom_time")["time"].tolist() == [1_700_000_000.5]
    assert run.scalars("tensor")[["step", "value"]].values.tolist() == [[4, 2.5]]
    assert run.scalars("numpy")[["step", "value"]].values.tolist() == [[9, 1.5]]
    assert run.scalars("no_step")["step"].tolist() == [0]


def test_add_scalars_groups_tags_in_one_run(tmp_path, writer):
    for step in range(2):
        writer.add_scalars("data/group", {"xsinx": step * np.sin(step), "xcosx": torch.tensor(1.0 * step)}, step)
    writer.close()
    assert len(nbtrack.open(tmp_path).readers()) == 1  # no phantom run per key
    run = read(tmp_path)
    assert run.scalar_tags() == ["data/group/xsinx", "data/group/xcosx"]
    assert run.scalars("data/group/xcosx")["value"].tolist() == [0.0, 1.0]


def test_steps_repeat_and_go_back_per_tag(tmp_path, writer):
    for batch in range(0, 5001, 1000):
        writer.add_scalar("train/loss", 1.0, batch)
    writer.add_scalar("val/loss", 0.5, 5)  # epoch 5 after batch 5,000: another tag, its own steps
    writer.add_scalar("val/loss", 0.4, 5)  # the same step again: both kept
    writer.add_scalar("train/loss", 2.0, 3000)  # back: TensorBoard drops the tag's points at 3000 and above
    writer.close()
    run = read(tmp_path)
    assert run.scalars("val/loss")[["step", "value"]].values.tolist() == [[5, 0.5], [5, 0.4]]
    assert run.scalars("train/loss")[["step", "value"]].values.tolist() == [
        [0, 1.0], [1000, 1.0], [2000, 1.0], [3000, 2.0]]
    assert run.history()["val/loss"].dropna().tolist() == [0.4]  # a step's last value
    assert run.summary["train/loss"] == 2.0


def test_a_writer_reopened_every_epoch_continues_the_run(tmp_path):
    for epoch in range(3):
        w = SummaryWriter(tmp_path / "exp")  # as tutorials do
        for i in range(2):
            w.add_scalar("loss", epoch + i / 10, epoch * 2 + i)
        w.close()
    logdir = nbtrack.open(tmp_path)
    assert [r.name for r in logdir.readers()] == ["exp"]
    run = read(tmp_path)
    assert run.scalars("loss")["step"].tolist() == [0, 1, 2, 3, 4, 5]
    assert len(list((tmp_path / "exp" / "writers").iterdir())) == 3


def test_steps_that_restart_in_a_reopened_writer_replace_the_earlier_ones(tmp_path):
    for run_no in range(2):
        with SummaryWriter(tmp_path / "exp") as w:
            for step in range(3):
                w.add_scalar("loss", run_no * 10 + step, step)
    assert read(tmp_path).scalars("loss")["value"].tolist() == [10.0, 11.0, 12.0]  # as TensorBoard shows


def test_purge_step_drops_later_points_of_earlier_writers(tmp_path):
    with SummaryWriter(tmp_path / "exp") as w:
        for step in range(10):
            w.add_scalar("a", step, step)
            w.add_scalar("b", -step, step)
    with SummaryWriter(tmp_path / "exp", purge_step=5) as w:
        w.add_scalar("a", 50.0, 5)
    run = read(tmp_path)
    assert run.scalars("a")[["step", "value"]].values.tolist() == [[s, s] for s in range(5)] + [[5, 50.0]]
    assert run.scalars("b")["step"].tolist() == [0, 1, 2, 3, 4]


def test_log_dir_names_the_run_and_its_logdir(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with SummaryWriter(comment="_lr0.1") as w:
        w.add_scalar("x", 1.0)
    (folder,) = (tmp_path / "runs").iterdir()
    assert re.fullmatch(r"[A-Z][a-z]{2}\d{2}_\d{2}-\d{2}-\d{2}_.+_lr0\.1", folder.name), folder.name
    assert w.get_logdir() == str(folder.relative_to(tmp_path))
    run = nbtrack.open(tmp_path / "runs").run(folder.name)
    assert run.name == folder.name and run.scalars("x")["value"].tolist() == [1.0]


def test_event_files_in_log_dir_are_left_alone(tmp_path):
    (tmp_path / "exp").mkdir()
    event = tmp_path / "exp" / "events.out.tfevents.1.host"
    event.write_bytes(b"tensorboard data")
    with SummaryWriter(tmp_path / "exp") as w:
        w.add_scalar("x", 1.0)
    assert event.read_bytes() == b"tensorboard data"
    assert read(tmp_path).scalars("x")["value"].tolist() == [1.0]


@pytest.mark.parametrize(("shape", "dataformats", "to_hwc"), [
    ((3, 4, 5), "CHW", lambda a: a.transpose(1, 2, 0)),
    ((4, 5, 3), "HWC", lambda a: a),
    ((4, 5), "HW", lambda a: a),
    ((1, 4, 5), "CHW", lambda a: a[0]),
    ((5, 4, 3), "WHC", lambda a: a.transpose(1, 0, 2)),
])
def test_add_image_in_every_dataformats(tmp_path, writer, shape, dataformats, to_hwc):
    pixels = np.random.default_rng(0).integers(0, 256, size=shape, dtype=np.uint8)
    writer.add_image("img", pixels, 3, dataformats=dataformats)
    writer.close()
    row = read(tmp_path).images("img").iloc[0]
    assert row["step"] == 3
    assert np.array_equal(row["image"], to_hwc(pixels))


@pytest.mark.parametrize("dataformats", ["NCHW", "NHWC"])
def test_add_images_draws_torchs_grid(tmp_path, writer, dataformats):
    batch = np.random.default_rng(1).integers(0, 256, size=(10, 3, 4, 5), dtype=np.uint8)
    given = batch if dataformats == "NCHW" else batch.transpose(0, 2, 3, 1)
    writer.add_images("imgs", torch.from_numpy(given), 0, dataformats=dataformats)
    writer.close()
    image = read(tmp_path).images("imgs").iloc[0]["image"]
    assert image.shape == (8, 40, 3)  # 8 per row, 2 rows, no gap (torch's make_grid)
    assert np.array_equal(image[:4, 5:10], batch[1].transpose(1, 2, 0))
    assert np.array_equal(image[4:, :5], batch[8].transpose(1, 2, 0))


def test_float_images_are_scaled_and_uint8_kept(tmp_path, writer):
    writer.add_image("float", np.full((3, 2, 2), 0.5, np.float32), 0)
    writer.add_image("uint8", np.full((3, 2, 2), 7, np.uint8), 0)
    writer.add_image("int64", np.ones((3, 2, 2), np.int64), 0)  # torch reads non-uint8 as [0, 1] too
    writer.close()
    run = read(tmp_path)
    assert run.images("float").iloc[0]["image"].max() == 128
    assert run.images("uint8").iloc[0]["image"].max() == 7
    assert run.images("int64").iloc[0]["image"].max() == 255


def test_add_image_with_boxes_keeps_boxes_as_data(tmp_path, writer):
    writer.add_image_with_boxes("boxes", np.zeros((3, 64, 64)), np.array([[10, 10, 40, 40], [40, 40, 60, 60]]), 1,
                                labels=["cat", "dog"])
    writer.close()
    meta = read(tmp_path).media("boxes").iloc[0]["meta"]
    boxes = meta["boxes"]["boxes"]["box_data"]
    assert [b["box_caption"] for b in boxes] == ["cat", "dog"]
    assert boxes[1]["position"] == {"minX": 40.0, "minY": 40.0, "maxX": 60.0, "maxY": 60.0}


def test_histograms_with_every_bins_choice(tmp_path, writer):
    values = np.random.default_rng(2).normal(size=1000)
    for bins in ("tensorflow", "auto", "fd", 10, [-5.0, 0.0, 5.0]):
        writer.add_histogram(f"h/{bins}", torch.from_numpy(values), 1, bins=bins)
    writer.add_histogram("h/bf16", torch.rand(50, dtype=torch.bfloat16))
    writer.add_histogram_raw("raw", min=0.1, max=0.9, num=4, sum=2.0, sum_squares=1.2,
                             bucket_limits=[0.25, 0.5, 0.75, 1.0], bucket_counts=[1, 1, 1, 1], global_step=2)
    writer.close()
    run = read(tmp_path)
    for bins in ("tensorflow", "auto", "fd", 10, [-5.0, 0.0, 5.0]):
        row = run.histograms(f"h/{bins}").iloc[0]
        assert sum(row["counts"]) == 1000 and row["step"] == 1, bins
    assert len(run.histograms("h/10").iloc[0]["counts"]) == 10
    raw = run.histograms("raw").iloc[0]
    assert list(raw["edges"]) == [0.1, 0.25, 0.5, 0.75, 1.0] and list(raw["counts"]) == [1, 1, 1, 1]


def test_text_audio_video_figure_pr_curves_embedding(tmp_path, writer):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    writer.add_text("notes", "a|b\n-|-\nc|d", 1)
    writer.add_audio("sound", torch.zeros(1, 4410), 1, sample_rate=44100)
    writer.add_video("clip", np.random.rand(2, 4, 1, 8, 8).astype(np.float32), 1, fps=2)
    fig = plt.figure()
    plt.plot([1, 2, 3])
    writer.add_figure("plot", fig, 1)
    assert not plt.fignum_exists(fig.number)  # closed, as torch closes it
    figs = [plt.figure() for _ in range(2)]
    writer.add_figure("plots", figs, 2, close=False)
    assert all(plt.fignum_exists(f.number) for f in figs)
    plt.close("all")
    writer.add_pr_curve("pr", np.random.randint(2, size=100), np.random.rand(100), 1)
    writer.add_pr_curve_raw("pr_raw", [75, 64, 21, 5, 0], [150, 105, 18, 0, 0], [0, 45, 132, 150, 150],
                            [0, 11, 54, 70, 75], [0.33, 0.38, 0.54, 1.0, 0.0], [1.0, 0.85, 0.28, 0.07, 0.0], 1)
    features = torch.tensor([[1.0, 2.0, 3.0], [5.0, 4.0, 1.0], [3.0, 7.0, 7.0]])
    writer.add_embedding(features, metadata=torch.tensor([33.0, 44.0, 55.0]), label_img=torch.zeros(3, 3, 5, 5),
                         global_step=2)
    writer.close()
    run = read(tmp_path)
    assert run.texts("notes").iloc[0][["kind", "text"]].tolist() == ["markdown", "a|b\n-|-\nc|d"]
    assert run.media_tags() == {"notes": "markdown", "sound": "audio", "clip": "video", "plot": "figure",
                                "plots": "figure", "pr": "pr_curve", "pr_raw": "pr_curve", "default": "embedding"}
    assert run.media("clip").iloc[0]["meta"]["frames"] == 4
    assert run.media("plots")["index"].tolist() == [0, 1]
    curve = run.media("pr_raw", decode=True).iloc[0]["value"]
    assert list(curve["tp"]) == [75, 64, 21, 5, 0]
    embedding = run.media("default", decode=True).iloc[0]["value"]
    assert embedding["vectors"].shape == (3, 3) and embedding["metadata"] == [33.0, 44.0, 55.0]


def test_add_graph_stores_the_module_tree(tmp_path, writer):
    model = torch.nn.Sequential(torch.nn.Linear(3, 5), torch.nn.ReLU(), torch.nn.Sequential(torch.nn.Linear(5, 2)))
    model.train()
    writer.add_graph(model, torch.zeros(4, 3))
    writer.close()
    row = read(tmp_path).media("model_graph").iloc[0]
    assert row["kind"] == "model_graph"
    doc = json.loads(row["text"])
    root = doc["root"]
    assert doc["input_shapes"] == [[4, 3]] and root["total_parameters"] == 20 + 12
    assert [c["type"].rsplit(".", 1)[1] for c in root["children"]] == ["Linear", "ReLU", "Sequential"]
    assert root["children"][2]["children"][0] == {
        "name": "0", "path": "2.0", "type": "torch.nn.modules.linear.Linear", "parameters": 12, "trainable": 12,
        "total_parameters": 12, "output_shapes": [[4, 2]], "children": []}
    assert root["output_shapes"] == [[4, 2]]


def test_add_hparams_fills_the_run_table(tmp_path, writer):
    writer.add_scalar("loss", 0.3, 10)
    writer.add_hparams({"lr": 0.1, "bsize": 1, "opt": "adam", "t": torch.tensor(2)}, {"hparam/accuracy": 10})
    writer.close()
    table = nbtrack.open(tmp_path).runs()
    assert len(table) == 1
    row = table.iloc[0]
    assert (row["config.lr"], row["config.bsize"], row["config.opt"], row["config.t"]) == (0.1, 1, "adam", 2)
    assert row["summary.hparam/accuracy"] == 10.0 and row["summary.loss"] == 0.3


def test_a_second_add_hparams_with_other_values_is_a_run_of_its_own(tmp_path, writer):
    writer.add_hparams({"lr": 0.1}, {"acc": 0.5})
    writer.add_hparams({"lr": 0.01}, {"acc": 0.7}, run_name="trial2")
    writer.close()
    runs = nbtrack.open(tmp_path).runs().set_index("name")
    assert runs.loc["exp", "config.lr"] == 0.1 and runs.loc["exp-trial2", "config.lr"] == 0.01
    assert runs.loc["exp-trial2", "summary.acc"] == 0.7


def test_custom_scalars_layout_is_stored(tmp_path, writer):
    layout = {"Taiwan": {"twse": ["Multiline", ["twse/0050", "twse/2330"]]},
              "USA": {"dow": ["Margin", ["dow/aaa", "dow/bbb", "dow/ccc"]]}}
    writer.add_custom_scalars(layout)
    writer.close()
    doc = json.loads(read(tmp_path).media("custom_scalars").iloc[0]["text"])
    assert doc["categories"][0]["charts"] == [{"title": "twse", "kind": "multiline",
                                               "tags": ["twse/0050", "twse/2330"]}]
    assert doc["categories"][1]["charts"] == [{"title": "dow", "kind": "margin", "value": "dow/aaa",
                                               "lower": "dow/bbb", "upper": "dow/ccc"}]


def test_add_mesh_warns_and_stores_nothing(tmp_path, writer):
    with pytest.warns(UserWarning, match="add_mesh: 3D meshes are not supported"):
        writer.add_mesh("mesh", vertices=np.zeros((1, 4, 3)))


def test_export_scalars_to_json(tmp_path, writer):
    writer.add_scalar("a", 1.0, 0, walltime=10.0)
    writer.add_scalar("a", 2.0, 1, walltime=11.0)
    writer.export_scalars_to_json(tmp_path / "all.json")
    data = json.loads((tmp_path / "all.json").read_text())
    assert data == {f"{writer.log_dir}/a": [[10.0, 0, 1.0], [11.0, 1, 2.0]]}


# -- where torch's writer raises (pytorch test/test_tensorboard.py) ---------------------------------
@pytest.mark.parametrize(("call", "error"), [
    (lambda w: w.add_scalar("s", torch.tensor([1.0, 2.0, 3.0]), 0), AssertionError),
    (lambda w: w.add_scalar("s", np.zeros(3), 0), ValueError),
    (lambda w: w.add_histogram("h", [1, 3, 4, 5, 6], 0, "tensorflow"), NotImplementedError),
    (lambda w: w.add_histogram("h", np.ndarray(0), 0, "tensorflow"), ValueError),
    (lambda w: w.add_histogram_raw("h", 0, 1, 2, 1, 1, [0.5, 1.0], [1], 0), ValueError),
    (lambda w: w.add_image("i", np.zeros((3, 8, 8)), 0, dataformats="HWCN"), AssertionError),
    (lambda w: w.add_image("i", np.zeros((2, 3, 8, 8)), 0), AssertionError),  # 4-D as CHW
    (lambda w: w.add_image("i", {"pixels": 1}, 0), NotImplementedError),
    (lambda w: w.add_image("i", np.array([["a"]]), 0, dataformats="HW"), TypeError),
    (lambda w: w.add_images("i", np.zeros((3, 8, 8)), 0), AssertionError),
    (lambda w: w.add_video("v", np.zeros((4, 3, 8, 8)), 0), AssertionError),
    (lambda w: w.add_audio("a", np.zeros((2, 100)), 0), AssertionError),
    (lambda w: w.add_embedding(np.zeros(3)), AssertionError),
    (lambda w: w.add_graph(torch.nn.Linear(3, 5), torch.rand(1, 9)), RuntimeError),
    (lambda w: w.add_hparams([("lr", 0.1)], {"acc": 1}), TypeError),
    (lambda w: w.add_hparams({"lr": [0.1]}, {"acc": 1}), ValueError),
    (lambda w: w.add_scalar("s", 1.0, -1), ValueError),
    (lambda w: w.add_scalar("s", 1.0, "3"), TypeError),
])
def test_wrong_shapes_and_types_raise_as_torch_does(writer, call, error):
    with pytest.raises(error):
        call(writer)


def test_a_call_that_raises_records_nothing(tmp_path, writer):
    with pytest.raises(AssertionError):
        writer.add_scalar("s", torch.tensor([1.0, 2.0]), 0)
    writer.add_scalar("ok", 1.0, 0)
    writer.close()
    assert read(tmp_path).scalar_tags() == ["ok"]


# -- lifecycle ---------------------------------------------------------------------------------------
def _writer_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name.startswith("nbtrack-writer")]


def test_context_manager_closes_and_no_thread_is_left(tmp_path):
    before = len(_writer_threads())
    with SummaryWriter(tmp_path / "exp") as w:
        w.add_scalar("test", 1)
        assert len(_writer_threads()) == before + 1
    assert w.file_writer is None  # as torch's test_summary_writer_ctx
    assert len(_writer_threads()) == before
    assert read(tmp_path).status == "finished"


def test_writing_after_close_reopens_the_run(tmp_path):
    w = SummaryWriter(tmp_path / "exp")
    w.add_scalar("x", 1.0, 0)
    w.close()
    w.add_scalar("x", 2.0, 1)  # torch's writer reopens its file writer too
    w.close()
    w.close()  # harmless
    assert read(tmp_path).scalars("x")["value"].tolist() == [1.0, 2.0]


def test_pathlib_and_many_open_close(tmp_path):
    for _ in range(20):
        SummaryWriter(tmp_path / "exp").close()
    with SummaryWriter(tmp_path / "p") as w:
        w.add_scalar("test", 1)
    assert read(tmp_path, "p").scalars("test")["value"].tolist() == [1.0]


def test_flush_puts_data_on_disk(tmp_path, writer):
    writer.add_scalar("x", 1.0, 0)
    writer.flush()
    assert read(tmp_path).scalars("x")["value"].tolist() == [1.0]


def test_add_scalar_writes_nothing_on_the_callers_thread(tmp_path, writer, monkeypatch):
    import builtins
    import os

    writer.add_scalar("x", 0.0, 0)  # the tag's first call checks the name
    opened = []
    real_open, real_write = builtins.open, os.write
    caller = threading.get_ident()
    monkeypatch.setattr(builtins, "open", lambda *a, **k: (opened.append(a) if threading.get_ident() == caller
                                                            else None) or real_open(*a, **k))
    monkeypatch.setattr(os, "write", lambda *a: (opened.append(a) if threading.get_ident() == caller else None)
                        or real_write(*a))
    for step in range(1, 1000):
        writer.add_scalar("x", float(step), step)
    assert opened == []


def test_tutorial_code_runs_unchanged(tmp_path):
    """The PyTorch TensorBoard tutorial's calls, with only the import changed."""
    from nbtrack import SummaryWriter as Writer  # instead of: from torch.utils.tensorboard import SummaryWriter

    net = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(16, 4))
    optimizer = torch.optim.SGD(net.parameters(), lr=0.1)
    images = torch.rand(8, 1, 4, 4)
    labels = torch.randint(0, 4, (8,))
    writer = Writer(str(tmp_path / "fashion_mnist_experiment_1"))
    writer.add_image("four_fashion_mnist_images", images[0], 0)
    writer.add_graph(net, images)
    writer.add_embedding(images.view(-1, 16), metadata=labels.tolist(), label_img=images)
    running = 0.0
    for epoch in range(2):
        for i in range(5):
            optimizer.zero_grad()
            loss = torch.nn.functional.cross_entropy(net(images), labels)
            loss.backward()
            optimizer.step()
            running += loss.item()
            writer.add_scalar("training loss", running / (i + 1), epoch * 5 + i)
        writer.add_pr_curve("pr", labels == 0, torch.softmax(net(images), 1)[:, 0].detach(), global_step=epoch)
        for name, param in net.named_parameters():
            writer.add_histogram(name, param, epoch)
    writer.close()
    run = read(tmp_path, "fashion_mnist_experiment_1")
    assert run.scalars("training loss")["step"].tolist() == list(range(10))
    assert set(run.media_tags()) >= {"four_fashion_mnist_images", "model_graph", "default", "pr", "1.weight"}
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert run.damage == []


def test_dashboards_get_the_points_tensorboard_shows(tmp_path, writer):
    for step in (0, 1, 2, 3, 1):
        writer.add_scalar("loss", float(step), step)
    writer.close()
    run = read(tmp_path)
    run.catch_up()
    names, pieces = run.tag_pieces()
    steps = np.concatenate([p[0] for p in pieces[names.index("loss")]])
    assert steps.tolist() == [0, 1]


def test_every_method_of_torchs_writer_with_its_parameters():
    import inspect

    from torch.utils.tensorboard import SummaryWriter as TorchWriter

    for name in dir(TorchWriter):
        theirs = getattr(TorchWriter, name)
        if name.startswith("_") or not callable(theirs):
            continue
        ours = getattr(SummaryWriter, name)
        want = list(inspect.signature(theirs).parameters)
        got = list(inspect.signature(ours).parameters)
        assert got[:len(want)] == want, name  # the same names in the same order (tensorboardX's extras after)


def test_tensorboardx_extras(tmp_path, writer):
    writer.add_video("v", np.zeros((2, 1, 4, 8, 8), np.uint8), 0, dataformats="NCTHW")
    writer.add_hparams({"lr": 0.1}, {"acc": 1.0}, name="ignored-first-call")
    writer.add_tensor("t", torch.tensor([3.0]), 2)
    with pytest.warns(UserWarning, match="add_tensor"):
        writer.add_tensor("big", torch.zeros(3), 2)
    writer.close()
    run = read(tmp_path)
    assert run.media("v").iloc[0]["meta"]["frames"] == 4
    assert run.scalars("t")[["step", "value"]].values.tolist() == [[2, 3.0]]


def test_media_and_histograms_follow_tensorboards_steps_too(tmp_path):
    with SummaryWriter(tmp_path / "exp") as w:
        for step in range(4):
            w.add_image("img", np.full((1, 2, 2), step, np.uint8), step)
            w.add_histogram("h", np.arange(10.0) + step, step)
        w.add_histogram("h", np.arange(10.0), 1)  # back: the histograms at 1..3 are preempted
    with SummaryWriter(tmp_path / "exp", purge_step=2) as w:
        w.add_text("note", "after the purge", 2)
    run = read(tmp_path)
    assert run.images("img")["step"].tolist() == [0, 1]
    assert run.histograms("h")["step"].tolist() == [0, 1]
    assert run.histograms("h")["min"].tolist() == [0.0, 0.0]
    assert run.texts("note")["step"].tolist() == [2]
