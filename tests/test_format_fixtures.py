"""Runs written by every earlier format version read exactly as they did (FORMAT.md "Versions", issue 16 item 4).

Each ``tests/fixtures/format/v<version>/`` holds a small run written by that version's writer
(``logdir/``) and what the reader of that time read from it (``expected.json``, made by
``tests/fixtures/format/make_fixture.py``). The run is copied to a temporary folder first, so a reader
that wrote anything could not change the committed fixture.
"""

from __future__ import annotations

import importlib.util
import json
import re
import shutil
from pathlib import Path

import pytest

import nbtrack
from nbtrack.store.format import FORMAT_VERSION

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "format"
VERSIONS = sorted((p for p in FIXTURES.glob("v*") if p.is_dir()), key=lambda p: p.name)


def _make_fixture():
    spec = importlib.util.spec_from_file_location("_nbtrack_make_format_fixture", FIXTURES / "make_fixture.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _canon(value) -> str:
    return json.dumps(value, sort_keys=True)  # NaN and Infinity compare as their JSON spelling


def test_there_are_fixtures():
    assert VERSIONS, f"no fixtures under {FIXTURES}"


def test_the_current_format_version_has_a_fixture():
    heading = (FIXTURES.parents[2] / "FORMAT.md").read_text(encoding="utf-8").splitlines()[0]
    documented = re.search(r"version (\d+\.\d+)", heading).group(1)
    assert documented == FORMAT_VERSION, (heading, FORMAT_VERSION)
    assert (FIXTURES / f"v{FORMAT_VERSION}" / "expected.json").exists(), (
        f"format {FORMAT_VERSION} has no fixture: run tests/fixtures/format/make_fixture.py {FORMAT_VERSION}")


@pytest.mark.parametrize("fixture", VERSIONS, ids=[p.name for p in VERSIONS])
def test_fixture_reads_as_expected(fixture, tmp_path):
    expected = json.loads((fixture / "expected.json").read_text(encoding="utf-8"))
    logdir = tmp_path / "logdir"
    shutil.copytree(fixture / "logdir", logdir)
    identity = json.loads((logdir / expected["identity"]["id"] / "run.json").read_text(encoding="utf-8"))
    assert identity["format_version"] == fixture.name[1:]

    got = _make_fixture().describe(logdir)

    assert got["status"] == "finished"
    assert got["damage"] == []
    assert sorted(got) == sorted(expected)
    different = [key for key in expected if _canon(got[key]) != _canon(expected[key])]
    assert not different, {key: {"expected": expected[key], "got": got[key]} for key in different}


@pytest.mark.parametrize("fixture", VERSIONS, ids=[p.name for p in VERSIONS])
def test_fixture_media_and_scalars_directly(fixture, tmp_path):
    """The same facts through the plain public calls, without make_fixture.describe()."""
    expected = json.loads((fixture / "expected.json").read_text(encoding="utf-8"))
    shutil.copytree(fixture / "logdir", tmp_path / "logdir")
    run = nbtrack.open(tmp_path / "logdir").run(expected["identity"]["id"])
    for tag, want in expected["scalars"].items():
        frame = run.scalars(tag)
        assert frame["step"].tolist() == want["step"]
        assert _canon([float(v) for v in frame["value"]]) == _canon(want["value"])
    image = run.images("samples/image")["image"].iloc[0]
    assert list(image.shape) == expected["images"][0]["shape"]
    assert image.reshape(-1).tolist() == expected["images"][0]["pixels"]
    hist = run.histograms("weights/hist").iloc[0]
    assert [float(v) for v in hist["counts"]] == expected["histograms"][0]["counts"]
    assert [float(v) for v in hist["edges"]] == expected["histograms"][0]["edges"]
    assert run.config == expected["config"]
    assert _canon(run.summary) == _canon(expected["summary"])
    assert run.status == "finished" and run.damage == []


@pytest.mark.parametrize("fixture", VERSIONS, ids=[p.name for p in VERSIONS])
def test_fixture_other_runs_directly(fixture, tmp_path):
    """Runs besides the main one (since 2.1: a run that failed) read with their status and exit code."""
    expected = json.loads((fixture / "expected.json").read_text(encoding="utf-8"))
    shutil.copytree(fixture / "logdir", tmp_path / "logdir")
    logdir = nbtrack.open(tmp_path / "logdir")
    assert sorted(r.id for r in logdir.readers()) == expected["runs"]
    for run_id, want in expected.get("other_runs", {}).items():
        run = logdir.run(run_id)
        assert (run.status, run.exit_code, run.damage) == (want["status"], want["exit_code"], [])
        assert logdir.runs().set_index("id").loc[run_id, "status"] == want["status"]


def test_the_failed_status_has_a_fixture():
    """Format 2.1 added the status "failed": its fixture holds a run that failed."""
    expected = json.loads((FIXTURES / "v2.1" / "expected.json").read_text(encoding="utf-8"))
    assert expected["other_runs"]["failedfixture"]["status"] == "failed"
    assert expected["other_runs"]["failedfixture"]["exit_code"] == 1
