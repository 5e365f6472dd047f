"""``nbtrack import-tb`` / ``nbtrack.import_tensorboard``: TensorBoard runs converted into nbtrack runs.

What the TensorBoard reader returns for a run, the imported nbtrack run returns too (same steps,
values, wall times, edges, image bytes), nested runs included; the source is never written.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import nbtrack
from nbtrack.cli import main
from nbtrack.tensorboard.importer import strictly_increasing

tbx = pytest.importorskip("tensorboardX", reason="tensorboardX (a test dependency) writes the event files")


def _write(tbdir: Path) -> None:
    rng = np.random.default_rng(3)
    with tbx.SummaryWriter(str(tbdir / "exp")) as writer:
        for step in range(50):
            writer.add_scalar("train/loss", 1.0 / (step + 1), step, walltime=1_700_000_000 + step)
        writer.add_scalars("cmp", {"a": 1.0, "b": 2.0}, 3)
        writer.add_histogram("w", rng.normal(size=500), 10)
        writer.add_image("img", rng.integers(0, 255, (3, 4, 5), dtype=np.uint8), 2)
        writer.add_text("note", "*hi*", 1)
        writer.add_pr_curve("pr", np.array([1, 0, 1]), np.array([0.9, 0.1, 0.6]), 0, num_thresholds=5)
        writer.add_hparams({"lr": 0.1}, {"hp/acc": 0.75}, name="trial")


def test_an_imported_logdir_reads_back_what_the_tensorboard_reader_reads(tmp_path: Path) -> None:
    tbdir, logdir = tmp_path / "tb", tmp_path / "nb"
    _write(tbdir)
    before = sorted((p, p.stat().st_size, p.stat().st_mtime_ns) for p in tbdir.rglob("*"))
    names = nbtrack.import_tensorboard(tbdir, logdir, progress=False)
    assert sorted(before) == sorted((p, p.stat().st_size, p.stat().st_mtime_ns) for p in tbdir.rglob("*"))
    source, imported = nbtrack.open(tbdir), nbtrack.open(logdir)
    assert sorted(names) == sorted(r.name for r in source.readers())
    assert sorted(r.name for r in imported.readers()) == sorted(names)  # nested runs (cmp/a, trial) too
    for name in names:
        old, new = source.run(name), imported.run(name)
        assert type(new).__name__ == "RunReader"
        assert new.scalar_tags() == old.scalar_tags()
        for tag in old.scalar_tags():
            assert new.scalars(tag).equals(old.scalars(tag)), (name, tag)
        assert set(new.media_tags()) == set(old.media_tags())
        assert new.config == old.config
    exp_old, exp_new = source.run("exp"), imported.run("exp")
    h_old, h_new = exp_old.histograms("w").iloc[0], exp_new.histograms("w").iloc[0]
    # tensorboardX's first bucket lies left of the minimum (an empty one): nbtrack's edges must increase, so the
    # empty bucket joins its neighbour; every other edge and count is kept as written
    edges, counts = strictly_increasing(h_old["edges"], h_old["counts"])
    assert h_new["edges"].tolist() == edges.tolist() and h_new["counts"].tolist() == counts.tolist()
    assert h_new["counts"].sum() == h_old["counts"].sum() == 500 and len(edges) == len(h_old["edges"]) - 1
    assert np.array_equal(exp_new.images("img").iloc[0]["image"], exp_old.images("img").iloc[0]["image"])
    assert exp_new.texts("note/text_summary")["text"].tolist() == ["*hi*"]
    curve_old = exp_old.media("pr", decode=True)["value"].iloc[0]
    curve_new = exp_new.media("pr", decode=True)["value"].iloc[0]
    assert np.allclose(curve_new["tp"], curve_old["tp"]) and np.allclose(curve_new["recall"], curve_old["recall"])
    assert imported.runs().set_index("name").loc["exp/trial", "config.lr"] == 0.1


def test_importing_twice_leaves_the_first_import_and_says_so(tmp_path: Path, capsys) -> None:
    tbdir, logdir = tmp_path / "tb", tmp_path / "nb"
    _write(tbdir)
    assert main(["import-tb", str(tbdir), str(logdir), "--quiet"]) == 0
    assert "imported 4 runs" in capsys.readouterr().out
    assert main(["import-tb", str(tbdir), str(logdir), "--quiet", "--runs", "^exp$"]) == 0
    out = capsys.readouterr().out
    assert "exp: already in" in out and "imported 0 runs" in out


def test_bad_arguments_are_one_line_each(tmp_path: Path, capsys) -> None:
    assert main(["import-tb", str(tmp_path / "missing"), str(tmp_path / "nb")]) == 2
    assert "is not a folder" in capsys.readouterr().err
    (tmp_path / "tb").mkdir()
    assert main(["import-tb", str(tmp_path / "tb"), str(tmp_path / "tb" / "inside")]) == 2
    assert "lies inside tbdir" in capsys.readouterr().err


def test_zero_width_buckets_merge_into_their_neighbour() -> None:
    edges, counts = strictly_increasing(np.array([0.0, 0.0, 1.0, 2.0, 2.0]), np.array([3.0, 1.0, 2.0, 4.0]))
    assert edges.tolist() == [0.0, 1.0, 2.0] and counts.tolist() == [4.0, 6.0]
    assert counts.sum() == 10
