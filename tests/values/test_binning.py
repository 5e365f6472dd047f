"""The equal-width binning kernel: the same counts and edges as numpy, in any precision and range."""

from __future__ import annotations

import threading

import numpy as np
import pytest

import nbtrack
from nbtrack.values import binning
from nbtrack.values.histogram import _bin_values


def _data(rng: np.random.Generator, shape: int, n: int) -> np.ndarray:
    if shape == 0:
        return rng.standard_normal(n)
    if shape == 1:  # many values exactly on edges
        return rng.integers(-5, 5, n).astype(float)
    if shape == 2:  # any magnitude
        return rng.standard_normal(n) * 10.0 ** int(rng.integers(-30, 30))
    if shape == 3:
        return np.linspace(-1, 1, n)
    return rng.uniform(0, 1, n) ** 5 + 1e6  # a narrow range far from zero: edges round coarsely


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_counts_and_edges_equal_numpys_for_many_data_shapes(dtype):
    rng = np.random.default_rng(3)
    compared = 0
    for trial in range(600):
        n = int(rng.integers(1, 150_000)) if trial % 20 == 0 else int(rng.integers(1, 3_000))
        values = _data(rng, trial % 5, n).astype(dtype)
        bins = int(rng.integers(1, binning.MAX_EQUAL_BINS + 1))
        low, high = values.min(), values.max()
        if not low < high:
            continue
        try:
            want_counts, want_edges = np.histogram(values, bins, range=(low, high))
        except ValueError:  # numpy too refuses edges the precision cannot separate
            with pytest.raises(ValueError, match="too narrow"):
                binning.equal_width_counts(values, low, high, bins)
            continue
        counts, edges = binning.equal_width_counts(values, low, high, bins)
        np.testing.assert_array_equal(counts, want_counts, err_msg=f"trial {trial}")
        np.testing.assert_array_equal(edges, want_edges)
        assert edges.dtype == want_edges.dtype
        compared += 1
    assert compared > 400


def test_values_on_the_last_edge_count_in_the_last_bin():
    values = np.array([0.0, 1.0, 1.0, 1.0], np.float32)
    counts, _ = binning.equal_width_counts(values, 0.0, 1.0, 4)
    assert counts.tolist() == [1, 0, 0, 3]


def test_moments_accumulate_in_float64():
    values = np.full(200_000, 0.1, np.float32)  # a float32 running sum would drift visibly
    total, squares = binning.moments(values)
    assert total == pytest.approx(200_000 * float(np.float32(0.1)), rel=1e-12)
    assert squares == pytest.approx(200_000 * float(np.float32(0.1)) ** 2, rel=1e-12)


def test_a_range_too_narrow_for_float32_edges_is_still_binned():
    # 64 float32 edges cannot be told apart between 1e6 and 1e6 + 0.125; numpy.histogram raises
    values = np.array([1e6, 1e6 + 0.0625, 1e6 + 0.125], np.float32)
    encoded = _bin_values(values, 64)
    assert encoded.arrays["counts"].sum() == 3
    assert (np.diff(encoded.arrays["edges"]) > 0).all()


def test_threads_bin_at_once_without_sharing_scratch():
    rng = np.random.default_rng(5)
    arrays = [rng.standard_normal(100_000).astype(np.float32) * (i + 1) for i in range(8)]
    want = [np.histogram(a, 64)[0] for a in arrays]
    got: dict[int, np.ndarray] = {}

    def work(i: int) -> None:
        for _ in range(5):
            got[i] = binning.equal_width_counts(arrays[i], arrays[i].min(), arrays[i].max(), 64)[0]

    threads = [threading.Thread(target=work, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for i in range(8):
        np.testing.assert_array_equal(got[i], want[i])


def test_a_tight_loop_reuses_the_copies_buffers(tmp_path):
    """Each logged value is freed before the producer is woken, so copies come back from the pool."""
    from nbtrack.values import buffers

    misses = 0
    take = buffers.BufferPool._take

    def counting_take(self, dtype, length):
        nonlocal misses
        with self._lock:
            misses += not self._free.get((dtype.str, length))
        return take(self, dtype, length)

    buffers.BufferPool._take = counting_take
    try:
        values = np.random.default_rng(0).standard_normal(1_000_000).astype(np.float32)  # 4 MB
        run = nbtrack.init(dir=tmp_path)
        for _ in range(60):  # 240 MB logged, more than the 64 MB the queue may hold
            run.log({"w": nbtrack.Histogram(values)})
        run.finish()
    finally:
        buffers.BufferPool._take = take
    assert misses <= buffers.POOL_BYTES // values.nbytes + 2
    assert len(nbtrack.open(tmp_path).run(run.id).histograms("w")) == 60
