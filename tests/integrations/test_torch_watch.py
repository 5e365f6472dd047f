"""``Run.watch``: gradient and parameter histograms of a torch model, on real runs read back from disk."""

from __future__ import annotations

import gc
import sys
import threading
import time
import warnings
import weakref

import numpy as np
import pandas as pd
import pytest

import nbtrack

torch = pytest.importorskip("torch", reason="Run.watch needs torch (pip install 'nbtrack[torch]'); CI installs it")
from nbtrack.integrations import torch as watching  # noqa: E402  (after the skip: it needs torch to be useful)


def mlp(seed: int = 0) -> torch.nn.Module:
    torch.manual_seed(seed)
    return torch.nn.Sequential(torch.nn.Linear(8, 16), torch.nn.ReLU(), torch.nn.Linear(16, 4))


def train(run, model, steps, keep_grads_at=(), on_step=None):
    """``steps`` SGD steps, one ``run.log`` per step; the gradients at ``keep_grads_at`` steps are returned."""
    opt = torch.optim.SGD(model.parameters(), lr=0.05)
    x, y = torch.randn(32, 8), torch.randn(32, 4)
    kept = {}
    for _ in range(steps):
        opt.zero_grad(set_to_none=True)
        loss = torch.nn.functional.mse_loss(model(x), y)
        loss.backward()
        if run.step in keep_grads_at:
            kept[run.step] = {n: p.grad.detach().clone().numpy() for n, p in model.named_parameters()}
        opt.step()
        run.log({"loss": loss.item()})
        if on_step:
            on_step()
    return kept


def histogram_tags(reader):
    return sorted(tag for tag, kind in reader.media_tags().items() if kind == "histogram")


NAMES = ["0.bias", "0.weight", "2.bias", "2.weight"]


def test_watch_all_logs_gradients_and_parameters_every_log_freq_steps(logdir, read):
    model = mlp()
    run = nbtrack.init(name="all")
    run.watch(model, log="all", log_freq=10)
    grads = train(run, model, 30, keep_grads_at=(9, 19, 29))
    run.finish()
    reader = read(run)
    assert histogram_tags(reader) == [f"gradients/{n}" for n in NAMES] + [f"parameters/{n}" for n in NAMES]
    numel = {n: p.numel() for n, p in model.named_parameters()}
    for kind in ("gradients", "parameters"):
        for name in NAMES:
            frame = reader.histograms(f"{kind}/{name}")
            assert frame["step"].tolist() == [9, 19, 29]  # the 10th, 20th, 30th call, at the run's step
            for counts in frame["counts"]:
                assert np.sum(counts) == numel[name] and len(counts) == 64
    for step, by_name in grads.items():  # the device binning equals numpy's binning of the same gradient
        for name, grad in by_name.items():
            row = reader.histograms(f"gradients/{name}").set_index("step").loc[step]
            expected, edges = np.histogram(grad.astype(np.float64), bins=64, range=(grad.min(), grad.max()))
            np.testing.assert_allclose(row["edges"], edges, rtol=0, atol=1e-6 * (edges[-1] - edges[0]))
            assert np.abs(np.asarray(row["counts"]) - expected).sum() <= 2  # exact on CPU; histc may move edge values
            assert row["min"] == pytest.approx(float(grad.min())) and row["max"] == pytest.approx(float(grad.max()))


def test_log_parameters_logs_only_parameters_and_none_logs_nothing(logdir, read):
    model_p, model_n = mlp(), mlp(1)
    run_p = nbtrack.init(name="p")
    run_p.watch(model_p, log="parameters", log_freq=5)
    train(run_p, model_p, 10)
    run_p.finish()
    assert histogram_tags(read(run_p)) == [f"parameters/{n}" for n in NAMES]
    run_n = nbtrack.init(name="n")
    run_n.watch(model_n, log=None, log_freq=1)
    train(run_n, model_n, 5)
    run_n.finish()
    assert histogram_tags(read(run_n)) == []
    assert model_n._forward_hooks == {} and all(not p._backward_hooks for p in model_n.parameters())


def test_default_logs_gradients_only(logdir, read):
    model = mlp()
    with nbtrack.init(name="g") as run:
        nbtrack.watch(model, log_freq=3)  # the face: on the current run
        train(run, model, 6)
    assert histogram_tags(read(run)) == [f"gradients/{n}" for n in NAMES]
    assert read(run).histograms("gradients/0.weight")["step"].tolist() == [2, 5]


def test_unwatch_stops_logging_and_removes_every_hook(logdir, read):
    model = mlp()
    run = nbtrack.init(name="u")
    run.watch(model, log="all", log_freq=10)
    assert model._forward_hooks and all(p._backward_hooks for p in model.parameters())
    train(run, model, 10)
    run.unwatch(model)
    assert model._forward_hooks == {} and all(not p._backward_hooks for p in model.parameters())
    train(run, model, 30)
    run.finish()
    assert read(run).histograms("gradients/0.weight")["step"].tolist() == [9]
    assert read(run).histograms("parameters/0.weight")["step"].tolist() == [9]


def test_unwatch_all_and_the_faces_unwatch(logdir):
    a, b = mlp(), mlp(1)
    run = nbtrack.init(name="ua")
    nbtrack.watch([a, b], log="all", log_freq=1)
    nbtrack.unwatch()
    for model in (a, b):
        assert model._forward_hooks == {} and all(not p._backward_hooks for p in model.parameters())
    with pytest.warns(UserWarning, match="not watched"):
        run.unwatch(a)
    run.finish()


def test_hooks_of_a_finished_run_remove_themselves(logdir):
    model = mlp()
    run = nbtrack.init(name="ended")
    run.watch(model, log="all", log_freq=1)
    run.finish()
    model(torch.randn(2, 8)).sum().backward()  # the first calls after finish() take the hooks away
    assert model._forward_hooks == {} and all(not p._backward_hooks for p in model.parameters())


def test_watching_twice_does_not_double_log(logdir, read):
    model = mlp()
    run = nbtrack.init(name="twice")
    run.watch(model, log="all", log_freq=10)
    run.watch(model, log="all", log_freq=10)
    assert len(model._forward_hooks) == 1 and all(len(p._backward_hooks) == 1 for p in model.parameters())
    train(run, model, 30)
    run.finish()
    reader = read(run)
    assert len(histogram_tags(reader)) == 8  # no graph_1 copy
    assert reader.histograms("gradients/2.weight")["step"].tolist() == [9, 19, 29]


def test_several_models_get_wandbs_prefix(logdir, read):
    a, b = mlp(), mlp(1)
    run = nbtrack.init(name="two")
    run.watch((a, b), log="gradients", log_freq=1)
    opt_x = torch.randn(4, 8)
    (a(opt_x).sum() + b(opt_x).sum()).backward()
    run.log({"loss": 0.0})
    c = mlp(2)
    run.watch(c, log="parameters", log_freq=1, idx=5)
    c(opt_x)
    run.log({"loss": 0.0})
    run.finish()
    tags = histogram_tags(read(run))
    assert [t for t in tags if "0.bias" in t] == ["gradients/0.bias", "gradients/graph_10.bias",
                                                  "parameters/graph_50.bias"]  # wandb: prefix + name, no separator


def test_a_watched_model_is_not_kept_alive(logdir):
    model = mlp()
    run = nbtrack.init(name="alive")
    run.watch(model, log="all", log_freq=1)
    train(run, model, 3)
    params = weakref.ref(next(model.parameters()))
    ref = weakref.ref(model)
    gc.collect()
    gc.disable()  # no reference cycle through the hooks: reference counting alone frees the model
    try:
        del model
        assert ref() is None and params() is None
    finally:
        gc.enable()
    assert watching.watcher_of(run).models == []
    run.finish()


def test_log_graph_records_the_module_tree(logdir, read):
    model = mlp()
    with nbtrack.init(name="graph") as run:
        run.watch(model, log=None, log_graph=True)
    frame = read(run).media("model_graph")
    assert frame["kind"].tolist() == ["model_graph"]
    assert '"total_parameters": 212' in frame["text"].iloc[0]


def test_nan_and_inf_are_counted_beside_the_bins(logdir, read):
    weight = torch.nn.Parameter(torch.zeros(10))
    model = torch.nn.Module()
    model.weight = weight
    run = nbtrack.init(name="nan")
    run.watch(model, log="gradients", log_freq=1)
    grad = torch.tensor([float("nan"), float("inf"), -float("inf"), 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0])
    (weight * grad).sum().backward()  # the gradient of weight is grad
    (weight * torch.full((10,), float("nan"))).sum().backward()  # every value NaN
    run.finish()
    frame = read(run).histograms("gradients/weight")
    first, second = frame.iloc[0], frame.iloc[1]
    assert (first["nan"], first["posinf"], first["neginf"], np.sum(first["counts"])) == (1, 1, 1, 7)
    assert (first["min"], first["max"]) == (1.0, 7.0)
    assert second["nan"] == 10 and np.sum(second["counts"]) == 0 and pd.isna(second["min"])


def test_device_binning_equals_numpy_and_the_cpu_path():
    values = torch.randn(100_000)
    values[::1000] = float("nan")
    on_device = watching.device_histogram(values).encode()
    by_writer = watching.tensor_histogram(values).encode()  # a CPU tensor: copied, binned by nbtrack
    finite = values[torch.isfinite(values)].numpy()
    expected, edges = np.histogram(finite, bins=64)
    for encoded in (on_device, by_writer):
        assert encoded.meta["nan"] == 100 and encoded.arrays["counts"].sum() == finite.size
        np.testing.assert_allclose(encoded.arrays["edges"], edges, rtol=0, atol=1e-6)
        assert np.abs(encoded.arrays["counts"] - expected).sum() <= 4
    assert watching.tensor_histogram(torch.zeros(0)) is None


def test_device_histogram_edge_cases():
    constant = watching.device_histogram(torch.full((5,), 3.0)).encode()
    assert constant.arrays["counts"].sum() == 5 and constant.arrays["edges"][0] < 3.0 < constant.arrays["edges"][-1]
    assert watching.device_histogram(torch.zeros(0)) is None
    half = watching.device_histogram(torch.arange(10, dtype=torch.float16)).encode()
    assert half.arrays["counts"].sum() == 10
    ints = watching.device_histogram(torch.arange(10)).encode()
    assert ints.arrays["counts"].sum() == 10
    wide = watching.device_histogram(torch.tensor([-3e38, 3e38], dtype=torch.float32)).encode()
    assert wide.arrays["counts"].tolist()[0] == 1 and wide.arrays["counts"].tolist()[-1] == 1
    sparse = torch.sparse_coo_tensor(torch.tensor([[1, 3]]), torch.tensor([2.0, 4.0]), (6,), check_invariants=True)
    encoded = watching.device_histogram(sparse).encode()
    assert encoded.arrays["counts"].sum() == 6 and encoded.arrays["counts"][0] == 4  # the 4 implicit zeros


def test_sparse_gradients(logdir, read):
    model = torch.nn.Embedding(20, 3, sparse=True)
    with nbtrack.init(name="sparse") as run:
        run.watch(model, log_freq=1)
        model(torch.tensor([1, 2])).sum().backward()
        run.log({"loss": 0.0})
    frame = read(run).histograms("gradients/weight")
    assert np.sum(frame["counts"].iloc[0]) == 60


def test_a_failing_hook_warns_once_per_tag_counts_and_training_goes_on(logdir, read, monkeypatch):
    def broken(tensor, bins=64):
        raise RuntimeError("device lost")

    monkeypatch.setattr(watching, "tensor_histogram", broken)
    model = mlp()
    run = nbtrack.init(name="fail")
    run.watch(model, log="gradients", log_freq=10)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        train(run, model, 30)
    run.finish()
    messages = [str(w.message) for w in caught if issubclass(w.category, RuntimeWarning)]
    assert len(messages) == 4 and all("device lost" in m for m in messages)
    assert any("'gradients/0.weight'" in m for m in messages)
    assert watching.watcher_of(run).failures == {f"gradients/{n}": 3 for n in NAMES}
    assert read(run).scalars("loss")["step"].tolist() == list(range(30))


def test_hooks_on_other_threads_log_safely(logdir, read):
    model = mlp()
    run = nbtrack.init(name="threads")
    run.log({"loss": 0.0})  # the main thread logs first
    run.watch(model, log="all", log_freq=1)
    errors = []

    def work():
        try:
            x = torch.randn(4, 8)
            for _ in range(20):
                model(x).sum().backward()
        except Exception as error:  # pragma: no cover - the assertion below reports it
            errors.append(error)

    threads = [threading.Thread(target=work) for _ in range(4)]
    for t in threads:
        t.start()
    for _ in range(50):
        run.log({"loss": 1.0})
    for t in threads:
        t.join()
    run.finish()
    assert errors == []
    assert sum(len(read(run).histograms(f"gradients/{n}")) for n in NAMES) == 4 * 80


def test_bad_arguments_name_the_argument(logdir):
    run = nbtrack.init(name="bad")
    with pytest.raises(TypeError, match=r"watch\(models=...\).*got str"):
        run.watch("model")
    with pytest.raises(TypeError, match=r"models=.*list holding int"):
        run.watch([mlp(), 3])
    with pytest.raises(ValueError, match=r"watch\(log=...\).*'weights'"):
        run.watch(mlp(), log="weights")
    with pytest.raises(ValueError, match=r"log_freq"):
        run.watch(mlp(), log_freq=0)
    run.finish()
    with pytest.raises(RuntimeError, match="finished"):
        run.watch(mlp())


def test_without_a_run_or_without_torch(logdir, monkeypatch):
    nbtrack.finish()
    with pytest.raises(RuntimeError, match=r"nbtrack.init\(\) before nbtrack.watch\(\)"):
        nbtrack.watch(mlp())
    run = nbtrack.init(name="no-torch")
    monkeypatch.setitem(sys.modules, "torch", None)
    with pytest.raises(ImportError, match=r'pip install "nbtrack\[torch\]"'):
        run.watch(object())
    monkeypatch.undo()
    run.finish()


@pytest.fixture
def one_thread():
    """One intra-op thread: a tiny model's step is ~0.5 ms instead of ~3 ms on a busy 2-core machine."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


def test_rss_stays_flat_over_10000_watched_steps(logdir, one_thread):
    psutil = pytest.importorskip("psutil")
    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Linear(32, 64), torch.nn.ReLU(), torch.nn.Linear(64, 10))
    opt = torch.optim.SGD(model.parameters(), lr=0.01)
    x, y = torch.randn(16, 32), torch.randint(0, 10, (16,))
    run = nbtrack.init(name="rss")
    run.watch(model, log="all", log_freq=100)
    process = psutil.Process()

    def steps(n):
        for _ in range(n):
            opt.zero_grad(set_to_none=True)
            loss = torch.nn.functional.cross_entropy(model(x), y)
            loss.backward()
            opt.step()
            run.log({"loss": loss.item()})

    start = time.perf_counter()
    steps(1000)  # warm-up: allocator, writer buffers, first files
    run.flush()
    before = process.memory_info().rss
    steps(9000)
    run.flush()
    gc.collect()
    grown = (process.memory_info().rss - before) / 2**20
    run.finish()
    assert grown < 30, f"RSS grew {grown:.1f} MB over 9,000 watched steps"
    assert time.perf_counter() - start < 60  # generous: the test itself is meant to take a few seconds
