"""A wandb tutorial, run with ``import nbtrack as wandb``: what a wandb script calls works unchanged, offline.

Parts that other features provide (``watch``, ``save``, ``Artifact``/``use_artifact``, ``alert``) are
written out in full below and skipped while ``nbtrack`` lacks them (``hasattr`` guards): they run as
soon as those features are merged.
"""

from __future__ import annotations

import numpy as np
import pytest

import nbtrack as wandb
from nbtrack.record import login as login_module

PROJECT = "wandb-tutorial"


@pytest.fixture
def project(tmp_path, logdir, monkeypatch):
    """A training script's folder (the working directory), the logdir (NBTRACK_DIR) inside it."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "train.py").write_text("import nbtrack as wandb\n")
    (tmp_path / "models").mkdir()
    (tmp_path / "models" / "net.py").write_text("class Net: ...\n")
    (tmp_path / "data.csv").write_text("x,y\n1,2\n")
    return tmp_path


def test_the_tutorial_runs_offline(project, logdir, monkeypatch, capsys):
    monkeypatch.setattr(login_module, "_told", False)
    assert wandb.login() is True  # no account: says so once
    assert wandb.login(key="0" * 40, relogin=True) is True
    assert capsys.readouterr().err.count("not needed") == 1

    run = wandb.init(project=PROJECT, name="baseline", entity="my-team", job_type="train",
                     config={"learning_rate": 0.01, "epochs": 3, "architecture": "CNN"})
    assert wandb.run is run
    wandb.config.batch_size = 64
    wandb.config.update({"dropout": 0.2})
    assert wandb.config.learning_rate == 0.01 and wandb.config["batch_size"] == 64

    wandb.define_metric("epoch")
    wandb.define_metric("epoch/*", step_metric="epoch")
    wandb.define_metric("val/acc", summary="max")
    rng = np.random.default_rng(0)
    for epoch in range(wandb.config.epochs):
        for batch in range(4):
            wandb.log({"train/loss": 1.0 / (1 + epoch * 4 + batch)})
        image = (rng.random((8, 8, 3)) * 255).astype(np.uint8)
        wandb.log({"epoch": epoch, "epoch/loss": 1.0 / (1 + epoch), "val/acc": 0.5 + 0.1 * epoch,
                   "img": wandb.Image(image, caption=f"epoch {epoch}")})

    table = wandb.Table(columns=["id", "prediction"], data=[[0, "cat"], [1, "dog"]])
    table.add_column("truth", ["cat", "cat"])
    with pytest.raises(ValueError, match="column 'bad' has 1 value; the table has 2 rows"):
        table.add_column("bad", ["x"])
    table.add_data(2, "bird", "bird")
    wandb.log({"predictions": table})

    logged = wandb.run.log_code(".")
    assert logged.files == ["train.py", "models/net.py"]
    wandb.summary["best_epoch"] = 2
    run_id = run.id
    wandb.finish()
    assert wandb.run is None

    reader = wandb.open(logdir).run(run_id)
    assert reader.name == "baseline" and reader.project == PROJECT
    assert reader.config["batch_size"] == 64 and reader.config["dropout"] == 0.2
    assert reader.summary["val/acc"] == {"max": pytest.approx(0.7)} and reader.summary["best_epoch"] == 2
    assert reader.images("img")["caption"].tolist() == ["epoch 0", "epoch 1", "epoch 2"]
    assert reader.tables("predictions")["table"][0].columns.tolist() == ["id", "prediction", "truth"]
    assert [(d["name"], d["step_metric"]) for d in reader.metric_definitions if d["step_metric"]] == [
        ("epoch/*", "epoch")]
    assert (reader.path / "code" / "models" / "net.py").is_file()

    # resume="allow" with the id: steps go on
    resumed = wandb.init(project=PROJECT, id=run_id, resume="allow")
    assert resumed.resumed and resumed.step > 0
    first_step = resumed.step
    wandb.log({"train/loss": 0.01})
    wandb.finish()
    assert wandb.open(logdir).run(run_id).scalars("train/loss")["step"].iloc[-1] == first_step


def test_watch(project, logdir):
    if not hasattr(wandb, "watch"):
        pytest.skip("wandb.watch comes with the torch integration (issue 22, slice A)")
    torch = pytest.importorskip("torch")
    run = wandb.init(project=PROJECT, name="watched")
    model = torch.nn.Sequential(torch.nn.Linear(4, 8), torch.nn.ReLU(), torch.nn.Linear(8, 1))
    wandb.watch(model, log="all", log_freq=1)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    for _ in range(3):
        loss = model(torch.randn(16, 4)).pow(2).mean()
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        wandb.log({"loss": loss.item()})
    wandb.unwatch(model)
    wandb.finish()
    tags = set(wandb.open(logdir).run(run.id).media_tags())
    assert any(t.startswith("gradients/") for t in tags) and any(t.startswith("parameters/") for t in tags)


def test_save(project, logdir):
    if not hasattr(wandb, "save"):
        pytest.skip("wandb.save comes with run files (issue 22, slice C)")
    (project / "checkpoint.txt").write_text("weights")
    run = wandb.init(project=PROJECT, name="saved")
    wandb.save("checkpoint.txt")
    wandb.finish()
    assert (run.dir / "files" / "checkpoint.txt").read_text() == "weights"


def test_artifacts(project, logdir):
    if not (hasattr(wandb, "Artifact") and hasattr(wandb, "use_artifact")):
        pytest.skip("wandb.Artifact and use_artifact come with artifacts (issue 22, slice C)")
    run = wandb.init(project=PROJECT, name="producer")
    artifact = wandb.Artifact("dataset", type="dataset")
    artifact.add_file("data.csv")
    run.log_artifact(artifact)
    wandb.finish()
    consumer = wandb.init(project=PROJECT, name="consumer")
    used = wandb.use_artifact("dataset:latest")
    folder = used.download()
    assert (project / folder / "data.csv").read_text() == "x,y\n1,2\n"
    consumer.finish()


def test_alert(project, logdir):
    if not hasattr(wandb, "alert"):
        pytest.skip("wandb.alert comes with alerts (issue 22, slice C)")
    wandb.init(project=PROJECT, name="alerting")
    wandb.alert(title="Low accuracy", text="val/acc is below 0.5")
    wandb.finish()
