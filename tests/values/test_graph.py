"""``nbtrack.ModelGraph``: the module tree ``SummaryWriter.add_graph`` and ``Run.watch(log_graph=True)`` store."""

from __future__ import annotations

import json

import pytest

import nbtrack

torch = pytest.importorskip("torch", reason="ModelGraph describes a torch model")


def test_model_graph_is_stored_as_the_model_panels_record(tmp_path):
    model = torch.nn.Sequential(torch.nn.Linear(3, 5), torch.nn.ReLU())
    with nbtrack.init(dir=tmp_path, name="g") as run:
        run.log({"model_graph": nbtrack.ModelGraph(model, torch.zeros(2, 3))})
    reader = nbtrack.open(tmp_path).run("g")
    row = reader.media("model_graph").iloc[0]
    doc = json.loads(row["text"])
    assert row["kind"] == "model_graph" and doc["root"]["total_parameters"] == 20
    assert [c["output_shapes"] for c in doc["root"]["children"]] == [[[2, 5]], [[2, 5]]]


def test_model_graph_refuses_what_is_not_a_module():
    with pytest.raises(TypeError, match=r"model must be a torch\.nn\.Module, got list"):
        nbtrack.ModelGraph([1, 2])
