"""run.config: access, update, the warning when a value changes, and config from a namespace or dataclass."""

from __future__ import annotations

import warnings

import pytest

import nbtrack


def test_config_access_update_and_change_warning(logdir):
    run = nbtrack.init(config={"lr": 0.1, "opt": {"name": "adam"}})
    assert run.config.lr == 0.1 and run.config["opt"]["name"] == "adam"
    run.config.update({"epochs": 3})
    with pytest.warns(UserWarning, match=r"config key 'lr' changed from 0.1 to 0.2"):
        run.config.lr = 0.2
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        run.config.update({"lr": 0.3}, allow_val_change=True)
        run.config.update({"epochs": 3})  # same value: no warning
    assert run.config.as_dict() == {"lr": 0.3, "opt": {"name": "adam"}, "epochs": 3}
    with pytest.raises(AttributeError, match="no key 'missing'"):
        run.config.missing  # noqa: B018
    with pytest.raises(TypeError, match=r"value for 'fn' has type function"):
        run.config.fn = lambda: 1
    run.finish()


def test_config_from_namespace_and_dataclass(logdir):
    import argparse
    import dataclasses

    @dataclasses.dataclass
    class Hp:
        lr: float = 0.01
        layers: tuple = (64, 64)

    assert nbtrack.init(config=argparse.Namespace(lr=0.5)).config.lr == 0.5
    assert nbtrack.init(config=Hp()).config.layers == [64, 64]
    with pytest.raises(TypeError, match=r"init\(config=...\): expected a dict"):
        nbtrack.init(config=42)
