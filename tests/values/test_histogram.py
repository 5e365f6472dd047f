"""Histogram: binning, edges, non-finite values, extreme inputs and round trips through a run."""

from __future__ import annotations

import threading
import warnings

import numpy as np
import pytest

import nbtrack
from nbtrack.values import histogram as histogram_module
from nbtrack.values import image as image_module


def _roundtrip(logdir, **values):
    run = nbtrack.init()
    run.log(values)
    run.finish()
    return nbtrack.open(logdir).run(run.id)


RNG = np.random.default_rng(7)


def test_histogram_counts_and_edges_and_non_finite(logdir):
    values = RNG.normal(size=10_000).astype(np.float32)
    values[:3] = [np.nan, np.inf, -np.inf]
    counts, edges = np.histogram(RNG.normal(size=100), bins=7)
    r = _roundtrip(logdir, h=nbtrack.Histogram(values, bins=50),
                   given=nbtrack.Histogram(np_histogram=(counts, edges)),
                   tf=nbtrack.Histogram(values, bins="tensorflow"))
    h = r.histograms("h").iloc[0]
    finite = values[np.isfinite(values)]
    ref_counts, ref_edges = np.histogram(finite, bins=50)  # numpy's own result, float32 data -> float32 edges
    np.testing.assert_array_equal(h["edges"], ref_edges)
    np.testing.assert_array_equal(h["counts"], ref_counts)
    assert (h["nan"], h["posinf"], h["neginf"], h["count"]) == (1, 1, 1, len(finite))
    g = r.histograms("given").iloc[0]
    np.testing.assert_array_equal(g["edges"], edges)  # the original edges, exactly
    np.testing.assert_array_equal(g["counts"], counts)
    assert r.histograms("tf").counts[0].sum() == len(finite)


def test_histogram_is_binned_off_the_training_thread(logdir, monkeypatch):
    seen = []
    real = histogram_module._bin_values
    monkeypatch.setattr(histogram_module, "_bin_values",
                        lambda v, b: seen.append(threading.current_thread()) or real(v, b))
    real_png = image_module.encode_png
    monkeypatch.setattr(image_module, "encode_png",
                        lambda p: seen.append(threading.current_thread()) or real_png(p))
    run = nbtrack.init()
    run.log({"h": nbtrack.Histogram(np.arange(1000.0)), "i": nbtrack.Image(np.zeros((2, 2), np.uint8))})
    assert seen == []  # nothing binned or encoded in log()
    run.finish()
    assert len(seen) == 2


def test_device_binning_matches_numpy_binning():
    """The CUDA path (torch ops on the tensor's device), exercised with a CPU tensor."""
    torch = pytest.importorskip("torch")
    t = torch.randn(50_000, generator=torch.Generator().manual_seed(0))
    t[:3] = torch.tensor([float("nan"), float("inf"), float("-inf")])
    on_device = histogram_module._bin_on_device(t, 64)
    reference = histogram_module._bin_values(t.numpy().astype(np.float64), 64)
    np.testing.assert_array_equal(on_device["counts"], reference.arrays["counts"])
    np.testing.assert_allclose(on_device["edges"], reference.arrays["edges"])
    assert (on_device["nan"], on_device["posinf"], on_device["neginf"]) == (1, 1, 1)


def _run(tmp_path, name="r"):
    return nbtrack.init(dir=tmp_path / "runs", name=name)


def _reader(tmp_path, run):
    return nbtrack.open(tmp_path / "runs").run(run.id)


def test_histogram_counts_values_outside_explicit_edges(tmp_path):
    """With ``bins=[0, 1, 2]``, values -5, 5 and 100 are in no bin and in no field: ``count`` says 4
    (FORMAT.md: "number of finite values binned") while the counts sum to 1."""
    run = _run(tmp_path)
    run.log({"h": nbtrack.Histogram([0.5, 5.0, -5.0, 100.0], bins=[0, 1, 2])})
    run.finish()
    row = _reader(tmp_path, run).histograms("h").iloc[0]
    outside = sum(float(row.get(k, 0) or 0) for k in ("underflow", "overflow", "below", "above", "outside"))
    assert row["counts"].sum() + outside == 4
    assert row["count"] == row["counts"].sum() + outside


def test_histogram_of_huge_finite_values_is_stored(tmp_path):
    """[1e308, -1e308]: ``high - low`` overflows, the edges are NaN and np.histogram raises in the
    writer thread; legal finite data is dropped and finish() raises RunWriteError."""
    run = _run(tmp_path)
    run.log({"h": nbtrack.Histogram([1e308, -1e308])})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        run.finish()  # raises RunWriteError today
    row = _reader(tmp_path, run).histograms("h").iloc[0]
    assert row["counts"].sum() == 2
    assert np.isfinite(row["edges"]).all()


def test_histogram_of_one_large_value_has_increasing_edges():
    """A single value (or all values equal) >= 2**53: ``low - 0.5 == low``, so all 65 edges are equal,
    breaking FORMAT.md's "strictly increasing" edges."""
    for value in (1e17, 1e308):
        edges = nbtrack.Histogram([value, value]).encode().arrays["edges"]
        assert (np.diff(edges) > 0).all(), (value, edges[:3])


def test_histogram_of_int32_keeps_values_exact():
    """int32/uint32 data is copied as float32: 16777217 is stored with max 16777216."""
    enc = nbtrack.Histogram(np.array([16777217, 0], np.int32)).encode()
    assert enc.meta["max"] == 16777217.0
    assert enc.meta["sum"] == 16777217.0


def test_histogram_edge_cases():
    enc = nbtrack.Histogram([np.nan, np.nan, np.inf, -np.inf]).encode()
    assert (enc.meta["nan"], enc.meta["posinf"], enc.meta["neginf"], enc.meta["count"]) == (2, 1, 1, 0)
    assert enc.arrays["counts"].sum() == 0 and enc.meta["min"] is None
    enc = nbtrack.Histogram([3.0, 3.0, 3.0]).encode()
    assert enc.arrays["counts"].sum() == 3 and (np.diff(enc.arrays["edges"]) > 0).all()
    enc = nbtrack.Histogram(np.array([True, False, True]), bins=2).encode()
    assert enc.arrays["counts"].tolist() == [1.0, 2.0]
    enc = nbtrack.Histogram(np.arange(1000, dtype=np.int64), bins=512).encode()
    assert len(enc.arrays["counts"]) == 512 and enc.arrays["counts"].sum() == 1000
    data = np.concatenate([np.linspace(0, 1e-6, 100_000), [1e9]])
    enc = nbtrack.Histogram(data, bins="auto").encode()
    assert len(enc.arrays["counts"]) <= 512 and enc.arrays["counts"].sum() == len(data)
    enc = nbtrack.Histogram(np_histogram=([0.5, 1.5], [0, 1, 2])).encode()
    assert enc.arrays["counts"].tolist() == [0.5, 1.5] and enc.meta["count"] == 2.0
    with pytest.raises(ValueError):
        nbtrack.Histogram([1.0], bins=513)
    with pytest.raises(ValueError):
        nbtrack.Histogram([])
    with pytest.raises(ValueError):
        nbtrack.Histogram(np_histogram=([1.0], [0, np.inf]))


def test_histogram_round_trip_through_a_run(tmp_path):
    run = _run(tmp_path)
    run.log({"h": nbtrack.Histogram([1.0, 2.0, np.nan, np.inf], bins=4)})
    run.finish()
    row = _reader(tmp_path, run).histograms("h").iloc[0]
    assert row["counts"].sum() == 2 and row["nan"] == 1 and row["posinf"] == 1 and row["count"] == 2


@pytest.mark.parametrize(("make", "error", "pattern"), [
    (lambda: nbtrack.Histogram("abc"), TypeError, r"values must be an array-like of numbers, got str"),
    (lambda: nbtrack.Histogram([]), ValueError, r"values is empty"),
    (lambda: nbtrack.Histogram([1.0], bins=0), ValueError, r"0 bins are not accepted; use 1..512"),
    (lambda: nbtrack.Histogram([1.0], bins=513), ValueError, r"513 bins"),
    (lambda: nbtrack.Histogram(), TypeError, r"exactly one of values= or np_histogram="),
    (lambda: nbtrack.Histogram(np_histogram=([1, 2], [0, 1])), ValueError, r"2 counts need 3 edges"),
])
def test_bad_histogram_input_is_explained(make, error, pattern):
    with pytest.raises(error, match=pattern):
        make()


def test_from_counts_keeps_nan_and_inf_counts_and_checks_them(tmp_path):
    with nbtrack.init(dir=tmp_path, name="fc") as run:
        run.log({"h": nbtrack.Histogram.from_counts([1, 2], [0.0, 1.0, 2.0], nan=4, posinf=1, neginf=2)})
        run.log({"h": nbtrack.Histogram.from_counts([0, 0], [0.0, 1.0, 2.0], nan=5)})  # every value NaN
    frame = nbtrack.open(tmp_path).run("fc").histograms("h")
    assert frame[["nan", "posinf", "neginf", "count"]].values.tolist() == [[4, 1, 2, 3], [5, 0, 0, 0]]
    assert frame["min"].iloc[0] == 0.0 and np.isnan(frame["min"].iloc[1])
    for bad in (-1, 1.5, True):
        with pytest.raises(ValueError, match=r"from_counts\(nan=...\) takes a count >= 0"):
            nbtrack.Histogram.from_counts([1], [0.0, 1.0], nan=bad)
