"""The wide pivot: fast uniform path and general path agree with a pandas reference."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from nbtrack.store.columns import Columns, _pivot_uniform, pivot


def _reference(cols: Columns, ncols: int) -> pd.DataFrame:
    df = pd.DataFrame({"tag": cols.tag, "step": cols.step, "value": cols.value})
    wide = df.groupby(["step", "tag"]).last()["value"].unstack()  # last value per (step, tag)
    return wide.reindex(columns=range(ncols))


@pytest.mark.parametrize("seed", range(20))
def test_pivot_matches_reference(seed):
    rng = np.random.default_rng(seed)
    ntags, nsteps = int(rng.integers(1, 6)), int(rng.integers(1, 40))
    uniform = seed % 2 == 0
    if uniform:  # every step logs every tag once, in one (random) order
        order = rng.permutation(ntags)
        tag = np.tile(order, nsteps).astype(np.int32)
        step = np.repeat(np.sort(rng.choice(10_000, nsteps, replace=False)), ntags)
    else:  # sparse, duplicated, any order within a step
        n = int(rng.integers(1, 200))
        step = np.sort(rng.integers(0, 30, n))
        tag = rng.integers(0, ntags, n).astype(np.int32)
    cols = Columns(tag, step.astype(np.int64), np.arange(len(step), dtype=np.float64), rng.normal(size=len(step)))
    steps, times, wide = pivot(cols, ntags)
    ref = _reference(cols, ntags)
    assert steps.tolist() == ref.index.tolist()
    np.testing.assert_array_equal(wide, ref.to_numpy())
    assert (_pivot_uniform(cols, ntags) is not None) == uniform
    last_time = pd.Series(cols.time).groupby(cols.step).last()
    np.testing.assert_array_equal(times, last_time.to_numpy())
