"""TensorBoard's rule for steps that go back: a point at step ``s`` replaces the tag's points at ``s`` and later.

TensorBoard's data server keeps each tag's points in strictly increasing step order: a record
whose step is not above the last one kept "preempts" every kept point with a step at or above
its own (a training restarted from a checkpoint, a writer reopened at step 0, the same step
written twice). A TF1 ``SessionLog`` START at step ``s`` does the same to every tag. The reader
applies the rule to each batch of decoded points, so what it holds is what TensorBoard shows.

>>> import numpy as np
>>> kept, thresholds = preempt(np.array([0, 0, 0]), np.array([1, 2, 1]), np.arange(3), [], {0: 5})
>>> kept.tolist(), thresholds
([False, False, True], {0: 1})
"""

from __future__ import annotations

import numpy as np


def preempt(tags: np.ndarray, steps: np.ndarray, records: np.ndarray, restarts: list[tuple[int, int]],
            last_steps: dict[int, int]) -> tuple[np.ndarray, dict[int, int]]:
    """Which of a batch's points survive, and, per tag, the step from which earlier-read points are dropped.

    ``tags``, ``steps`` and ``records`` (each point's record index) are in record order;
    ``restarts`` are ``(record index, step)`` of ``SessionLog`` START records; ``last_steps``
    holds each tag's highest step read before this batch. A point survives when every later
    point of its tag (and every later restart) has a higher step. The returned thresholds
    name only tags whose earlier points must be cut (some point or restart of this batch is at
    or below that tag's last step).
    """
    kept = np.ones(len(steps), dtype=bool)
    thresholds: dict[int, int] = {}
    if not len(steps) and not restarts:
        return kept, thresholds
    if _plain(tags, steps, last_steps) and not restarts:
        return kept, thresholds  # the common case: every tag's steps rise past what was read
    for tag in np.unique(tags).tolist():
        rows = np.flatnonzero(tags == tag)
        kept[rows], low = _survivors(steps[rows], records[rows], restarts)
        if tag in last_steps and low <= last_steps[tag]:
            thresholds[tag] = low
    if restarts:
        low = min(step for _, step in restarts)
        for tag, last in last_steps.items():
            if tag not in thresholds and low <= last:
                thresholds[tag] = low
            elif tag in thresholds:
                thresholds[tag] = min(thresholds[tag], low)
    return kept, thresholds


def _plain(tags: np.ndarray, steps: np.ndarray, last_steps: dict[int, int]) -> bool:
    """Whether every tag's steps strictly rise within the batch and start above its last step."""
    order = np.argsort(tags, kind="stable")
    t, s = tags[order], steps[order]
    same = t[1:] == t[:-1]
    if bool((s[1:][same] <= s[:-1][same]).any()):
        return False
    firsts = np.flatnonzero(np.r_[True, ~same])
    return all(int(s[i]) > last_steps.get(int(t[i]), -(2**63)) for i in firsts.tolist())


def _survivors(steps: np.ndarray, records: np.ndarray, restarts: list[tuple[int, int]]) -> tuple[np.ndarray, int]:
    """One tag's points that no later point or restart preempts, and the lowest step among them all."""
    if restarts:  # a restart acts as a point of every tag, itself never kept
        extra = np.array([r for r, _ in restarts], np.int64)
        all_records = np.concatenate([records, extra])
        all_steps = np.concatenate([steps, np.array([s for _, s in restarts], np.int64)])
        order = np.argsort(all_records, kind="stable")
        ordered = all_steps[order]
    else:
        ordered = steps
    later_min = np.minimum.accumulate(ordered[::-1])[::-1]
    later_min = np.r_[later_min[1:], np.iinfo(np.int64).max]
    survive = ordered < later_min
    low = int(ordered.min()) if len(ordered) else np.iinfo(np.int64).max
    if restarts:
        back = np.empty(len(ordered), bool)
        back[order] = survive
        return back[: len(steps)], low
    return survive, low
