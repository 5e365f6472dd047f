"""A wandb tutorial script, as people learn it, runs unchanged after ``import nbtrack as wandb``.

The script below is the shape of wandb's quickstart and model-versioning tutorials (a torch classifier on
synthetic data in place of a download): login, init with project, name, config and entity, ``config.x = y``,
``watch(model, log="all")``, ``log`` with images and captions, ``save``, an artifact with ``add_file`` and
``add_dir``, ``finish``; then a second script resumes the run by id with ``resume="allow"`` and downloads the
artifact with ``use_artifact(...).download()``. Both run as real processes; the results are read back
through nbtrack's query API.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

import nbtrack

ROOT = Path(__file__).resolve().parents[1]

TRAIN = textwrap.dedent('''
    import nbtrack as wandb
    import numpy as np
    import torch

    wandb.login()
    run = wandb.init(project="tutorial", name="mlp-baseline", entity="my-team", id="tutorial1",
                     config={"learning_rate": 0.05, "epochs": 3, "batch_size": 32})
    wandb.config.hidden = 16
    config = wandb.config

    rng = np.random.default_rng(0)
    x = torch.tensor(rng.normal(size=(256, 2)), dtype=torch.float32)
    y = (x[:, 0] * x[:, 1] > 0).long()
    model = torch.nn.Sequential(torch.nn.Linear(2, config.hidden), torch.nn.ReLU(), torch.nn.Linear(config.hidden, 2))
    optimizer = torch.optim.SGD(model.parameters(), lr=config.learning_rate)
    wandb.watch(model, log="all", log_freq=4)

    for epoch in range(config.epochs):
        for start in range(0, len(x), config.batch_size):
            xb, yb = x[start:start + config.batch_size], y[start:start + config.batch_size]
            loss = torch.nn.functional.cross_entropy(model(xb), yb)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            wandb.log({"loss": loss.item(), "epoch": epoch})
        accuracy = (model(x).argmax(1) == y).float().mean().item()
        picture = (rng.random((16, 16, 3)) * 255).astype(np.uint8)
        wandb.log({"accuracy": accuracy, "examples": [wandb.Image(picture, caption=f"epoch {epoch}")]})

    torch.save(model.state_dict(), "model.pt")
    wandb.save("model.pt")
    artifact = wandb.Artifact("spirals-model", type="model", description="the trained MLP")
    artifact.add_file("model.pt")
    artifact.add_dir("data")
    run.log_artifact(artifact)
    wandb.finish()
''')

EVALUATE = textwrap.dedent('''
    import nbtrack as wandb
    import os

    run = wandb.init(project="tutorial", id="tutorial1", resume="allow")
    artifact = run.use_artifact("spirals-model:latest")
    folder = artifact.download()
    wandb.log({"downloaded_files": len(os.listdir(folder))})
    wandb.finish()
    print("FOLDER", folder)
''')


def _script(cwd: Path, name: str, code: str) -> subprocess.CompletedProcess[str]:
    (cwd / name).write_text(code)
    env = {**os.environ, "PYTHONPATH": str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""),
           "NBTRACK_DIR": str(cwd / "wandb_runs"), "NBTRACK_SYSTEM_METRICS": "0"}
    return subprocess.run([sys.executable, name], cwd=cwd, env=env, capture_output=True, text=True, timeout=300)


def test_a_wandb_tutorial_runs_after_import_nbtrack_as_wandb(tmp_path):
    pytest.importorskip("torch", reason="the tutorial trains a torch model (CI installs torch==2.13.0)")
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "train.csv").write_text("x,y\n1,2\n")
    trained = _script(tmp_path, "train.py", TRAIN)
    assert trained.returncode == 0, trained.stderr
    evaluated = _script(tmp_path, "evaluate.py", EVALUATE)
    assert evaluated.returncode == 0, evaluated.stderr

    run = nbtrack.open(tmp_path / "wandb_runs").run("tutorial1")
    assert run.status == "finished" and run.project == "tutorial" and run.name == "mlp-baseline"
    assert run.config == {"learning_rate": 0.05, "epochs": 3, "batch_size": 32, "hidden": 16}
    history = run.history()
    assert history["loss"].notna().sum() == 3 * 8 and history["accuracy"].notna().sum() == 3
    assert history["downloaded_files"].dropna().tolist() == [2.0]  # the resumed run logged on
    images = run.images("examples")
    assert list(images["caption"]) == ["epoch 0", "epoch 1", "epoch 2"]
    tags = run.media_tags()
    assert any(t.startswith("gradients/") for t in tags) and any(t.startswith("parameters/") for t in tags)
    assert [f.path for f in run.files()] == ["model.pt"]
    actions = [(a["action"], a["name"], a["version"]) for a in run.artifacts()]
    assert actions == [("logged", "spirals-model", "v0"), ("used", "spirals-model", "v0")]
    folder = tmp_path / evaluated.stdout.split("FOLDER", 1)[1].strip()
    assert sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file()) == \
        ["model.pt", "train.csv"]
    assert (folder / "model.pt").read_bytes() == (tmp_path / "model.pt").read_bytes()
