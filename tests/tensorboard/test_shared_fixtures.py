"""Every real event file in ``../shared/fixtures/tfevents`` (written by other projects) read as runs.

The files' tags, counts and step ranges must match ``MANIFEST.json``; images decode to the
sizes their records state; the hparams tutorial's sessions carry their hparams as config.
Skipped where the shared fixtures are absent (CI has them).
"""

from __future__ import annotations

import json
import warnings
from collections import defaultdict
from pathlib import Path

import pytest

import nbtrack

SHARED = Path(__file__).resolve().parents[2].parent / "shared" / "fixtures" / "tfevents"
pytestmark = pytest.mark.skipif(not (SHARED / "MANIFEST.json").is_file(),
                                reason=f"the shared TensorBoard fixtures are not at {SHARED}")


def manifest_by_run() -> dict[Path, list[dict]]:
    entries = json.loads((SHARED / "MANIFEST.json").read_text())
    by_folder: dict[Path, list[dict]] = defaultdict(list)
    for entry in entries:
        path = SHARED.parent / entry["path"]
        by_folder[path.parent].append(entry)
    return by_folder


def test_every_fixture_run_reads_with_the_manifest_tags_counts_and_steps() -> None:
    expected = manifest_by_run()
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no damage may be reported for these files
        readers = {Path(r.path): r for r in nbtrack.open(SHARED).readers()}
    assert set(readers) == set(expected)
    for folder, entries in expected.items():
        run = readers[folder]
        assert run.damage == [], folder
        scalar_tags, media_tags = set(run.scalar_tags()), run.media_tags()
        for entry in entries:
            for tag, info in entry["tags"].items():
                kinds = set(info["kinds"])
                if kinds & {"simple_value", "tensor/scalars:float", "simple_value/scalars"}:
                    frame = run.scalars(tag)
                    assert len(frame) == info["n"], (folder, tag)
                    assert (frame["step"].min(), frame["step"].max()) == (info["min_step"], info["max_step"])
                elif kinds & {"tensor/histograms:double"}:
                    assert media_tags.get(tag) == "histogram", (folder, tag)
                    assert len(run.histograms(tag)) == info["n"]
                elif kinds & {"image", "tensor/images:string"}:
                    assert media_tags.get(tag) == "image", (folder, tag)
                    assert len({*run.images(tag)["step"]}) == info["n"]
                elif kinds & {"tensor/graph_keras_model:string", "tensor/hparams:float"}:
                    assert tag not in scalar_tags
                else:
                    pytest.fail(f"{folder}: tag {tag!r} of kinds {kinds} not checked")


def test_fixture_images_decode_to_the_sizes_their_records_state() -> None:
    checked = 0
    for run in nbtrack.open(SHARED).readers():
        for tag, kind in run.media_tags().items():
            if kind != "image":
                continue
            media = run.media(tag, decode=True)
            for meta, pixels in zip(media["meta"], media["value"]):
                assert pixels is not None, (run.name, tag)
                if meta.get("width"):
                    assert pixels.shape[:2] == (meta["height"], meta["width"]), (run.name, tag)
                checked += 1
    assert checked >= 40


def test_the_hparams_tutorial_sessions_carry_their_hparams_as_config() -> None:
    runs = nbtrack.open(SHARED / "TensorBoard-Tutorial" / "hparam_tuning").runs().set_index("name")
    session = runs.loc["Experiment 0_adam_200_0.2"]
    config = {k[len("config."):]: v for k, v in session.items() if k.startswith("config.") and v == v}
    assert config, "the session's hparams are missing"
    assert "adam" in {str(v) for v in config.values()}


def test_keras_runs_keep_their_model_graph() -> None:
    run = nbtrack.open(SHARED / "TensorBoard-Tutorial" / "logs").run("imdb-model-1690485351/train")
    assert any(g.get("format") == "keras" for g in run.graphs)
