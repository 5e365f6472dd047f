"""PRCurve: values against a reference implementation, input errors, decoding and run round trips."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

import nbtrack
from nbtrack.values.prcurve import PRCurve, decode_pr_curve

RNG = np.random.default_rng(1234)


def reference_curve(labels, predictions, num_thresholds, weights=None):
    """TensorBoard's definition, computed with plain loops."""
    n = len(labels)
    weights = [1.0] * n if weights is None else list(weights)
    out = {key: [] for key in ("thresholds", "tp", "fp", "tn", "fn", "precision", "recall")}
    buckets = [math.floor(p * (num_thresholds - 1)) for p in predictions]
    total_pos = sum(w for w, y in zip(weights, labels) if y)
    total_neg = sum(w for w, y in zip(weights, labels) if not y)
    for i in range(num_thresholds):
        tp = sum(w for w, y, b in zip(weights, labels, buckets) if y and b >= i)
        fp = sum(w for w, y, b in zip(weights, labels, buckets) if not y and b >= i)
        out["thresholds"].append(i / (num_thresholds - 1))
        out["tp"].append(tp)
        out["fp"].append(fp)
        out["tn"].append(total_neg - fp)
        out["fn"].append(total_pos - tp)
        out["precision"].append(tp / max(1e-7, tp + fp))
        out["recall"].append(tp / max(1e-7, tp + total_pos - tp))
    return {key: np.array(value, dtype=np.float64) for key, value in out.items()}


def _decoded(curve: PRCurve):
    enc = curve.encode()
    assert enc.kind == "pr_curve" and list(enc.files) == [".json"]
    return enc, decode_pr_curve(enc.files[".json"])


@pytest.mark.parametrize("num_thresholds", [2, 3, 10, 127, 1000])
def test_prcurve_matches_the_reference(num_thresholds):
    labels = RNG.random(300) < 0.3
    predictions = RNG.random(300)
    predictions[:5] = [0.0, 1.0, 0.5, 1.0, 0.0]
    enc, curve = _decoded(PRCurve(labels, predictions, num_thresholds=num_thresholds))
    expected = reference_curve(labels.tolist(), predictions.tolist(), num_thresholds)
    for key in ("tp", "fp", "tn", "fn", "precision", "recall"):
        np.testing.assert_array_equal(curve[key], expected[key], err_msg=key)
    np.testing.assert_allclose(curve["thresholds"], expected["thresholds"], rtol=0, atol=1e-15)
    assert enc.meta == {"num_thresholds": num_thresholds, "positives": int(labels.sum()),
                        "negatives": int((~labels).sum()), "weighted": False}


def test_prcurve_weighted_matches_the_reference():
    labels = RNG.integers(0, 2, 200)
    predictions = RNG.random(200).astype(np.float32)
    weights = RNG.random(200) * 3
    weights[:10] = 0.0
    _, curve = _decoded(PRCurve(labels, predictions, num_thresholds=50, weights=weights))
    expected = reference_curve(labels.tolist(), predictions.astype(np.float64).tolist(), 50, weights.tolist())
    for key in ("tp", "fp", "tn", "fn", "precision", "recall"):
        np.testing.assert_allclose(curve[key], expected[key], rtol=1e-12, atol=1e-12, err_msg=key)


def test_prcurve_known_small_case():
    _, c = _decoded(PRCurve([1, 0, 1, 0], [0.9, 0.6, 0.4, 0.1], num_thresholds=3))
    assert c["thresholds"].tolist() == [0.0, 0.5, 1.0]
    assert c["tp"].tolist() == [2, 1, 0] and c["fp"].tolist() == [2, 1, 0]
    assert c["tn"].tolist() == [0, 1, 2] and c["fn"].tolist() == [0, 1, 2]
    assert c["precision"].tolist() == [0.5, 0.5, 0.0] and c["recall"].tolist() == [1.0, 0.5, 0.0]


def test_prcurve_perfect_and_one_sided_cases():
    _, c = _decoded(PRCurve(np.array([True, True, False, False]), [1.0, 0.75, 0.25, 0.0], num_thresholds=5))
    # buckets floor(p * 4): positives in 4 and 3, negatives in 1 and 0
    assert c["tp"].tolist() == [2, 2, 2, 2, 1] and c["fp"].tolist() == [2, 1, 0, 0, 0]
    assert c["precision"].tolist() == [0.5, 2 / 3, 1.0, 1.0, 1.0]
    assert c["recall"].tolist() == [1.0, 1.0, 1.0, 1.0, 0.5]
    _, c = _decoded(PRCurve([False, False], [0.3, 0.9], num_thresholds=2))  # no positives
    assert c["precision"].tolist() == [0.0, 0.0] and c["recall"].tolist() == [0.0, 0.0]
    _, c = _decoded(PRCurve([1], [0.0], num_thresholds=2))  # one example, lowest bucket
    assert c["tp"].tolist() == [1, 0] and c["recall"].tolist() == [1.0, 0.0]


def test_prcurve_accepts_2d_arrays_of_matching_shape():
    labels = RNG.random((4, 5)) < 0.5
    predictions = RNG.random((4, 5))
    _, c = _decoded(PRCurve(labels, predictions, num_thresholds=9))
    expected = reference_curve(labels.ravel().tolist(), predictions.ravel().tolist(), 9)
    np.testing.assert_array_equal(c["tp"], expected["tp"])


@pytest.mark.parametrize(("args", "kwargs", "error", "match"), [
    (([1, 0], [0.5]), {}, ValueError, r"labels has shape \(2,\) but predictions has shape \(1,\)"),
    (([], []), {}, ValueError, r"predictions is empty \(shape \(0,\)\)"),
    (([1, 0], [0.5, 1.5]), {}, ValueError, r"probabilities in \[0, 1\]; 1 are not \(e\.g\. 1\.5\).*sigmoid"),
    (([1, 0], [-0.1, 0.5]), {}, ValueError, r"e\.g\. -0\.1"),
    (([1, 0], [np.nan, 0.5]), {}, ValueError, r"e\.g\. nan"),
    (([1, 2], [0.1, 0.5]), {}, ValueError, r"bool or 0/1, got dtype int64 with 1 other values \(e\.g\. 2\)"),
    (([1.0, np.nan], [0.1, 0.5]), {}, ValueError, r"labels must be bool or 0/1.*e\.g\. nan"),
    (("ab", [0.1, 0.5]), {}, TypeError, r"labels must be an array-like of numbers, got str"),
    (([1, 0], None), {}, TypeError, r"predictions must be an array-like of numbers, got NoneType"),
    (([1, 0], [0.1, 0.5]), {"weights": [1.0]}, ValueError, r"weights has shape \(1,\) but predictions .* \(2,\)"),
    (([1, 0], [0.1, 0.5]), {"weights": [1.0, -1.0]}, ValueError, r"non-negative; 1 are not \(e\.g\. -1\.0\)"),
    (([1, 0], [0.1, 0.5]), {"weights": [np.inf, 1.0]}, ValueError, r"e\.g\. inf"),
    (([1, 0], [0.1, 0.5]), {"num_thresholds": 1}, ValueError, r"num_thresholds=.*1 is not accepted; use 2\.\.10000"),
    (([1, 0], [0.1, 0.5]), {"num_thresholds": 10001}, ValueError, r"10001 is not accepted"),
    (([1, 0], [0.1, 0.5]), {"num_thresholds": 2.5}, TypeError, r"expected an int, got float"),
    (([1, 0], [0.1, 0.5]), {"num_thresholds": True}, TypeError, r"expected an int, got bool"),
])
def test_prcurve_rejects(args, kwargs, error, match):
    with pytest.raises(error, match=match):
        PRCurve(*args, **kwargs)


def test_prcurve_is_a_snapshot():
    labels = np.array([1, 0, 1, 0])
    predictions = np.array([0.9, 0.6, 0.4, 0.1])
    weights = np.ones(4)
    curve = PRCurve(labels, predictions, num_thresholds=3, weights=weights)
    before = curve.encode().files
    labels[:] = 0
    predictions[:] = 1.0
    weights[:] = 5.0
    assert curve.encode().files == before
    assert curve.nbytes > 0


def test_prcurve_constructor_does_not_compute(monkeypatch):
    from nbtrack.values import prcurve as prcurve_module

    def boom(*args, **kwargs):
        raise AssertionError("computed")

    monkeypatch.setattr(prcurve_module, "pr_curve", boom)
    curve = PRCurve(RNG.random(10_000) < 0.5, RNG.random(10_000), num_thresholds=10_000)
    with pytest.raises(AssertionError, match="computed"):
        curve.encode()


@pytest.mark.parametrize(("data", "match"), [
    (b"nope", r"not a PR curve's JSON"),
    (b'{"tp": [1]}', r"an object with the lists"),
    (json.dumps({k: [1] for k in ("thresholds", "tp", "fp", "tn", "fn", "precision")} | {"recall": ["x"]}).encode(),
     r"must hold numbers"),
    (json.dumps({k: [1] for k in ("thresholds", "tp", "fp", "tn", "fn", "precision")} | {"recall": [1, 2]}).encode(),
     r"of one length"),
])
def test_decode_pr_curve_rejects_malformed_input(data, match):
    with pytest.raises(ValueError, match=match):
        decode_pr_curve(data)


def _log_and_read(logdir, **values):
    run = nbtrack.init()
    run.log(values)
    run.finish()
    return nbtrack.open(logdir).run(run.id)


def test_pr_curve_round_trip(logdir):
    labels = RNG.integers(0, 2, 500).astype(bool)
    scores = np.clip(labels * 0.3 + RNG.random(500) * 0.7, 0, 1)
    curve = nbtrack.PRCurve(labels, scores, num_thresholds=11)
    expected = curve.encode()
    r = _log_and_read(logdir, pr=curve)
    value = r.media("pr", decode=True).value[0]
    import json

    reference = json.loads(expected.files[".json"])
    assert value == reference
    assert len(value["precision"]) == 11 and value["tp"][0] == int(labels.sum())
