"""M4 reduction of long series: spikes, bucket extremes and NaN markers survive, batchwise as whole."""

from __future__ import annotations

import numpy as np

from nbtrack.dashboard.m4 import reduce_m4


def test_reduce_keeps_a_one_step_spike_the_first_and_last_points_and_a_nan_marker():
    steps = np.arange(1_000_000, dtype=np.float64)
    values = np.sin(steps / 5000)
    values[654_321] = 1000.0
    values[100] = np.nan
    s, v, t = reduce_m4(steps, values, steps * 2, buckets=1000)
    assert len(v) <= 4 * 1000 + 1000
    assert np.nanmax(v) == 1000.0 and s[np.nanargmax(v)] == 654_321
    assert s[0] == 0 and s[-1] == 999_999
    assert np.isnan(v).sum() == 1 and s[np.isnan(v)][0] == 100
    assert np.array_equal(t, s * 2), "times travel with their steps"
    assert np.all(np.diff(s) > 0), "kept points stay in log order, without duplicates"


def test_reduce_keeps_each_buckets_extremes_exactly():
    rng = np.random.default_rng(1)
    steps = np.arange(200_000.0)
    values = rng.normal(size=200_000)
    s, v, _ = reduce_m4(steps, values, steps, buckets=100)
    for b in range(100):
        inside = (steps >= b * 2000) & (steps < (b + 1) * 2000)
        kept = (s >= b * 2000) & (s < (b + 1) * 2000)
        assert v[kept].max() == values[inside].max() and v[kept].min() == values[inside].min()


def test_reduce_leaves_short_series_alone_and_handles_unsorted_steps():
    steps = np.arange(10.0)
    assert reduce_m4(steps, steps, steps, buckets=8)[0] is steps
    shuffled = np.random.default_rng(2).permutation(100_000).astype(np.float64)
    s, v, _ = reduce_m4(shuffled, shuffled * 3, shuffled, buckets=100)
    assert np.all(np.diff(s) >= 0) and s[0] == 0 and s[-1] == 99_999 and np.array_equal(v, s * 3)


def test_reduce_of_a_bucket_of_only_nans_keeps_a_marker():
    steps = np.arange(100_000.0)
    values = np.ones_like(steps)
    values[50_000:51_000] = np.nan  # a whole bucket of 1,000 steps
    _, v, _ = reduce_m4(steps, values, steps, buckets=100)
    assert np.isnan(v).sum() >= 1 and np.nanmax(v) == 1.0


def test_batchwise_reduction_keeps_what_reducing_the_whole_series_keeps():
    from nbtrack.dashboard.m4 import reduced_series

    rng = np.random.default_rng(5)
    steps = np.arange(300_000, dtype=np.float64)
    values = rng.normal(size=300_000)
    values[rng.integers(0, 300_000, 50)] = np.nan
    values[123_456] = 1e6
    cuts = np.sort(rng.integers(0, 300_000, 40))
    pieces = [(steps[a:b], values[a:b], steps[a:b] * 2) for a, b in zip(np.r_[0, cuts], np.r_[cuts, 300_000])]
    (s, v, t), total = reduced_series(pieces, max_points=10_000, buckets=1000)
    whole_s, whole_v, _ = reduce_m4(steps, values, steps, buckets=1000)
    assert total == 300_000 and np.array_equal(t, s * 2)
    assert set(whole_s.tolist()) <= set(s.tolist()), "every point the whole-series reduction keeps is kept"
    assert np.nanmax(v) == 1e6 and s[0] == 0 and s[-1] == 299_999
    assert np.isnan(v).sum() == np.isnan(whole_v).sum()
    (s2, _, _), _ = reduced_series(pieces, max_points=10**9)
    assert np.array_equal(s2, steps), "short enough: joined unchanged"
