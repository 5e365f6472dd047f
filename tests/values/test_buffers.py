"""The buffer pool for log()-time copies: reuse, bounded memory, and room for new shapes."""

from __future__ import annotations

import gc

import numpy as np

from nbtrack.values.buffers import BufferPool


class _Owner:
    pass


def _copy_and_drop(pool: BufferPool, array: np.ndarray) -> int:
    owner = _Owner()
    address = pool.copy_of(array, owner).__array_interface__["data"][0]
    del owner
    gc.collect()
    return address


def test_a_full_pool_makes_room_for_a_new_shape():
    pool = BufferPool(limit=1_000_000)
    for _ in range(3):  # three 400 KB buffers of one shape: only two fit
        owners = [_Owner() for _ in range(3)]
        [pool.copy_of(np.zeros(100_000, np.float32), o) for o in owners]
        del owners
        gc.collect()
    assert pool._bytes <= 1_000_000
    first = _copy_and_drop(pool, np.zeros(120_000, np.float32))  # a new shape evicts an old one
    assert _copy_and_drop(pool, np.ones(120_000, np.float32)) == first
    assert pool._bytes <= 1_000_000


def test_copies_do_not_share_memory_while_alive():
    pool = BufferPool()
    a_owner, b_owner = _Owner(), _Owner()
    a = pool.copy_of(np.zeros(100_000, np.float32), a_owner)
    b = pool.copy_of(np.ones(100_000, np.float32), b_owner)
    assert not np.shares_memory(a, b)
    assert a.sum() == 0 and b.sum() == 100_000
