"""run.summary: the default (last value) and define_metric's other summaries."""

from __future__ import annotations

import pytest

import nbtrack


def test_summary_defaults_and_define_metric(logdir, read):
    run = nbtrack.init()
    run.define_metric("val/*", summary="max,mean")
    run.define_metric("loss", summary="best", goal="minimize")
    for x in [3.0, 1.0, 2.0]:
        run.log({"loss": x, "val/acc": x / 10, "lr": x})
    assert run.summary["lr"] == 2.0
    assert run.summary["loss"] == {"best": 1.0}
    assert run.summary["val/acc"] == {"max": 0.3, "mean": pytest.approx(0.2)}
    run.summary["best_epoch"] = 4
    run.finish()
    assert read(run).summary["best_epoch"] == 4
    with pytest.raises(ValueError, match=r"summary='median' is not accepted"):
        nbtrack.init().define_metric("x", summary="median")
