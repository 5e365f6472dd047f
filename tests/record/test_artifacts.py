"""Artifacts: logged into the logdir's content-addressed store, used, downloaded and checked (issue 22)."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

import nbtrack
from nbtrack.store.artifacts import ArtifactStore

REPO = Path(__file__).resolve().parents[2]


def _file(path: Path, data: bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path


def _log(run, tmp_path, name, files, aliases=None, type="model"):
    art = nbtrack.Artifact(name, type)
    for rel, data in files.items():
        art.add_file(_file(tmp_path / "src" / name / rel, data), name=rel)
    return run.log_artifact(art, aliases=aliases)


def test_same_bytes_stored_once_across_versions_and_runs(logdir, tmp_path):
    with nbtrack.init(dir=logdir, name="a") as run:
        _log(run, tmp_path, "model", {"w.bin": b"same", "cfg.json": b"{1}"})
        _log(run, tmp_path, "model", {"w.bin": b"same", "cfg.json": b"{2}"})
    with nbtrack.init(dir=logdir, name="b") as run:
        _log(run, tmp_path, "other", {"copy.bin": b"same"}, type="dataset")
    store = ArtifactStore(logdir)
    assert store.count_blobs() == 3  # b"same", b"{1}", b"{2}"
    assert [v.label for v in store.versions("model")] == ["model:v0", "model:v1"]


def test_latest_download_returns_the_files(logdir, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with nbtrack.init(dir=logdir) as run:
        _log(run, tmp_path, "data", {"a.txt": b"one"})
        _log(run, tmp_path, "data", {"a.txt": b"two", "sub/b.txt": b"bee"})
        art = run.use_artifact("data:latest")
        folder = art.download()
    assert folder == Path("artifacts") / "data:v1"
    assert (tmp_path / folder / "a.txt").read_bytes() == b"two"
    assert (tmp_path / folder / "sub" / "b.txt").read_bytes() == b"bee"
    assert art.files() == ["a.txt", "sub/b.txt"] and art.version == "v1"
    assert [f["size"] for f in art.manifest] == [3, 3]


def test_aliases_name_the_newest_version_logged_with_them(logdir, tmp_path):
    with nbtrack.init(dir=logdir) as run:
        _log(run, tmp_path, "m", {"w": b"0"}, aliases=["best"])
        _log(run, tmp_path, "m", {"w": b"1"})
        assert run.use_artifact("m:best").version == "v0"
        assert run.use_artifact("m:best").aliases == ["best"]
        _log(run, tmp_path, "m", {"w": b"2"}, aliases=["best", "prod"])
        assert run.use_artifact("m:best").version == "v2"
        assert run.use_artifact("m").aliases == ["latest", "best", "prod"]
        assert run.use_artifact("m:v1").aliases == []
        assert run.use_artifact("entity/project/m:v0").version == "v0"  # wandb's full name


def test_missing_name_or_version_names_what_exists(logdir, tmp_path):
    with nbtrack.init(dir=logdir) as run:
        _log(run, tmp_path, "model", {"w": b"0"}, aliases=["best"])
        with pytest.raises(nbtrack.ArtifactNotFoundError, match=r"no artifact named 'modle'.*stored: model"):
            run.use_artifact("modle:v0")
        with pytest.raises(KeyError):  # ArtifactNotFoundError is a KeyError too
            run.use_artifact("modle")
        with pytest.raises(nbtrack.ArtifactNotFoundError, match=r"no version or alias 'v7'; versions: v0; "
                                                                  r"aliases: latest, best"):
            run.use_artifact("model:v7")
        with pytest.raises(nbtrack.ArtifactError, match="type 'model'"):
            run.use_artifact("model", type="dataset")


def test_corrupted_blob_is_detected_on_download(logdir, tmp_path):
    with nbtrack.init(dir=logdir) as run:
        _log(run, tmp_path, "m", {"good.bin": b"fine", "bad.bin": b"original"})
        art = run.use_artifact("m:v0")
    record = ArtifactStore(logdir).resolve("m:v0")
    bad = next(f for f in record.files if f["path"] == "bad.bin")
    ArtifactStore(logdir).blob_path(bad["digest"]).write_bytes(b"tampered")
    with pytest.raises(nbtrack.ArtifactCorruptedError, match=r"m:v0, file 'bad.bin'.*corrupted"):
        art.download(tmp_path / "out")
    assert not (tmp_path / "out" / "bad.bin").exists()  # no corrupted copy is left behind


def test_new_file_dir_and_reference(logdir, tmp_path):
    folder = tmp_path / "ds"
    _file(folder / "x" / "1.csv", b"1")
    _file(folder / "2.csv", b"2")
    with nbtrack.init(dir=logdir) as run:
        art = nbtrack.Artifact("ds", "dataset", description="d", metadata={"rows": 2})
        art.add_dir(folder, name="raw")
        with art.new_file("labels.txt") as f:
            f.write("cat\ndog\n")
        art.add_reference("s3://bucket/big.parquet")
        run.log_artifact(art)
        used = run.use_artifact("ds")
    assert used.files() == ["labels.txt", "raw/2.csv", "raw/x/1.csv"]
    assert used.references == {"big.parquet": "s3://bucket/big.parquet"}
    assert used.metadata == {"rows": 2} and used.description == "d"
    assert (used.download(tmp_path / "o") / "labels.txt").read_text() == "cat\ndog\n"


def test_log_artifact_from_a_path_and_file(logdir, tmp_path):
    path = _file(tmp_path / "model.ckpt", b"ckpt")
    with nbtrack.init(dir=logdir) as run:
        art = run.log_artifact(path, type="model")
        assert art.qualified_name == "model.ckpt:v0"
        assert run.use_artifact("model.ckpt").file(tmp_path / "o").read_bytes() == b"ckpt"


def test_runs_record_what_they_logged_and_used(logdir, tmp_path):
    with nbtrack.init(dir=logdir, name="producer") as run:
        run.log({"x": 1.0})
        logged = _log(run, tmp_path, "m", {"w": b"0"})
    with nbtrack.init(dir=logdir, name="consumer") as run2:
        run2.use_artifact("m:v0")
    producer = nbtrack.open(logdir).run("producer").artifacts()
    consumer = nbtrack.open(logdir).run("consumer").artifacts()
    assert [(r["action"], r["name"], r["version"]) for r in producer] == [("logged", "m", "v0")]
    assert [(r["action"], r["name"], r["version"]) for r in consumer] == [("used", "m", "v0")]
    assert producer[0]["digest"] == consumer[0]["digest"] == logged.digest and len(logged.digest) == 64
    assert producer[0]["step"] == 1 and producer[0]["type"] == "model"


def test_bad_names_and_types_are_refused(logdir, tmp_path):
    for bad in ("../x", "", ".hidden", "a/b", "x" * 200):
        with pytest.raises(nbtrack.ArtifactError, match="not accepted"):
            nbtrack.Artifact(bad, "model")
    with nbtrack.init(dir=logdir) as run:
        _log(run, tmp_path, "m", {"w": b"0"})
        with pytest.raises(nbtrack.ArtifactError, match="logged with type 'model'"):
            _log(run, tmp_path, "m", {"w": b"1"}, type="dataset")
        with pytest.raises(nbtrack.ArtifactError, match="'v<N>' names versions"):
            _log(run, tmp_path, "m", {"w": b"1"}, aliases=["v3"])
    art = nbtrack.Artifact("n", "t")
    with pytest.raises(ValueError, match=r"no '\.\.'"):
        art.add_file(_file(tmp_path / "f", b"1"), name="../escape")
    with pytest.raises(nbtrack.ArtifactError, match="not stored yet"):
        art.download()


_CHILD = textwrap.dedent("""
    import sys, pathlib, nbtrack
    logdir, src, go = sys.argv[1], pathlib.Path(sys.argv[2]), pathlib.Path(sys.argv[3])
    run = nbtrack.init(dir=logdir)
    art = nbtrack.Artifact("shared", "model")
    art.add_file(src)
    while not go.exists():
        pass
    print(run.log_artifact(art).version)
    run.finish()
""")


def test_concurrent_log_artifact_from_two_processes(logdir, tmp_path):
    go = tmp_path / "go"
    children = []
    for i in range(2):
        src = _file(tmp_path / f"src{i}" / "w.bin", f"process {i}".encode())
        children.append(subprocess.Popen([sys.executable, "-c", _CHILD, str(logdir), str(src), str(go)],
                                         stdout=subprocess.PIPE, text=True, env={"PYTHONPATH": str(REPO),
                                                                                 "PATH": "/usr/bin:/bin"}))
    import time

    time.sleep(1.0)  # both are waiting at the start line
    go.write_text("go")
    versions = sorted(child.communicate(timeout=60)[0].strip() for child in children)
    assert versions == ["v0", "v1"]
    stored = ArtifactStore(logdir).versions("shared")
    assert [v.version for v in stored] == [0, 1]
    assert len({v.run_id for v in stored}) == 2  # one version per process's run
    assert {ArtifactStore(logdir).resolve(f"shared:{v}").files[0]["size"] for v in versions} == {9}


def test_hostile_version_file_is_refused(logdir, tmp_path):
    with nbtrack.init(dir=logdir) as run:
        _log(run, tmp_path, "m", {"w": b"0"})
    folder = logdir / ".artifacts" / "model" / "m"
    good = json.loads((folder / "v0.json").read_text())
    digest = good["files"][0]["digest"]
    hostile = [
        {**good, "version": 1, "files": [{"path": "../../etc/passwd", "digest": digest, "size": 1}]},
        {**good, "version": 2, "files": [{"path": "/etc/passwd", "digest": digest, "size": 1}]},
        {**good, "version": 3, "files": [{"path": "ok", "digest": "../../../../etc/passwd", "size": 1}]},
        {**good, "version": 5},  # says v5, named v4
    ]
    for i, body in enumerate(hostile, start=1):
        (folder / f"v{i}.json").write_text(json.dumps(body))
    (folder / "v6.json").symlink_to(folder / "v0.json")
    problems: list[str] = []
    assert [v.version for v in ArtifactStore(logdir).versions("m", problems)] == [0]
    text = "\n".join(problems)
    assert "v1.json" in text and "'..'" in text and "v2.json" in text and "absolute" in text
    assert "v3.json" in text and "not a sha256" in text and "v4.json" in text and "v6.json" in text
    with pytest.raises(nbtrack.ArtifactNotFoundError, match="versions: v0"):
        ArtifactStore(logdir).resolve("m:v1")
    with nbtrack.init(dir=logdir) as run, pytest.warns(RuntimeWarning, match="left out|link refused"):
        assert run.use_artifact("m").version == "v0"  # latest among the versions that can be trusted
    assert not (tmp_path / "etc").exists()


def test_disabled_run_has_no_store(tmp_path):
    run = nbtrack.init(mode="disabled")
    with pytest.raises(nbtrack.ArtifactError, match="no folder"):
        run.log_artifact(_file(tmp_path / "f", b"1"))
    run.finish()


def test_logdir_lists_every_version_with_its_aliases(logdir, tmp_path):
    with nbtrack.init(dir=logdir) as run:
        _log(run, tmp_path, "m", {"w": b"0"}, aliases=["best"])
        _log(run, tmp_path, "m", {"w": b"1", "x": b"22"})
        _log(run, tmp_path, "ds", {"d": b"data"}, type="dataset")
    table = nbtrack.open(logdir).artifacts()
    rows = table[["name", "type", "version", "aliases", "files", "size"]].values.tolist()
    assert rows == [["ds", "dataset", "v0", ["latest"], 1, 4], ["m", "model", "v0", ["best"], 1, 1],
                    ["m", "model", "v1", ["latest"], 2, 3]]
    assert set(table["run_id"]) == {run.id}
