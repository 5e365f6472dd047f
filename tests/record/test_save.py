"""Run.save: files copied into <run>/files/, confined there, by policy (issue 22)."""

from __future__ import annotations

import os
import time

import pytest

import nbtrack
from nbtrack.record import saving


def _write(path, data: bytes):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path


def test_relative_glob_keeps_paths_from_the_working_folder(logdir, tmp_path, monkeypatch, read):
    monkeypatch.chdir(tmp_path)
    _write(tmp_path / "ckpt" / "a.pt", b"a")
    _write(tmp_path / "ckpt" / "deep" / "b.pt", b"bb")
    with nbtrack.init(dir=logdir) as run:
        assert run.save("ckpt/**/*.pt", policy="now") == ["ckpt/a.pt", "ckpt/deep/b.pt"]
    files = read(run).files()
    assert [(f.path, f.size) for f in files] == [("ckpt/a.pt", 1), ("ckpt/deep/b.pt", 2)]
    assert (run.dir / "files" / "ckpt" / "deep" / "b.pt").read_bytes() == b"bb"


def test_base_path_and_absolute_patterns(logdir, tmp_path, read):
    _write(tmp_path / "mnt" / "folder" / "file.h5", b"h5")
    with nbtrack.init(dir=logdir) as run:
        assert run.save(str(tmp_path / "mnt" / "folder" / "file.h5"), base_path=tmp_path / "mnt",
                        policy="now") == ["folder/file.h5"]
        assert run.save(str(tmp_path / "mnt" / "folder" / "*.h5"), policy="now") == ["file.h5"]  # wandb: name only
    assert [f.path for f in read(run).files()] == ["file.h5", "folder/file.h5"]


def test_save_refuses_to_walk_above_base_path(logdir, tmp_path):
    _write(tmp_path / "outside.txt", b"x")
    with nbtrack.init(dir=logdir) as run:
        with pytest.raises(ValueError, match="must lie under base_path"):
            run.save(str(tmp_path / "outside.txt"), base_path=tmp_path / "sub")
        with pytest.raises(ValueError, match="policy"):
            run.save("x", policy="sometimes")
        with pytest.raises(TypeError, match="glob_str"):
            run.save(3)


def test_a_link_planted_in_files_cannot_lead_out(logdir, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    _write(tmp_path / "sub" / "f.txt", b"mine")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    with nbtrack.init(dir=logdir) as run:
        (run.dir / "files").mkdir()
        (run.dir / "files" / "sub").symlink_to(elsewhere)  # a hostile link inside the run folder
        with pytest.raises(ValueError, match="leads out"):
            run.save("sub/f.txt", policy="now")
    assert list(elsewhere.iterdir()) == []


def test_links_are_saved_as_their_content(logdir, tmp_path, monkeypatch, read):
    monkeypatch.chdir(tmp_path)
    _write(tmp_path / "ckpt-100.pt", b"weights")
    (tmp_path / "latest.pt").symlink_to(tmp_path / "ckpt-100.pt")
    with nbtrack.init(dir=logdir) as run:
        run.save("latest.pt", policy="now")
    saved = run.dir / "files" / "latest.pt"
    assert not saved.is_symlink() and saved.read_bytes() == b"weights"


def test_policies_now_end_live(logdir, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    for name in ("now.txt", "end.txt", "live.txt"):
        _write(tmp_path / name, b"v1")
    with nbtrack.init(dir=logdir) as run:
        run.save("now.txt", policy="now")
        run.save("end.txt", policy="end")
        run.save("live.txt", policy="live")
        with pytest.warns(UserWarning, match="matched no file yet"):
            run.save("later/*.txt")  # live: looked for again at finish
        run._saver.wait()
        files = run.dir / "files"
        assert (files / "now.txt").exists() and (files / "live.txt").exists() and not (files / "end.txt").exists()
        time.sleep(0.01)
        for name in ("now.txt", "end.txt", "live.txt"):
            _write(tmp_path / name, b"version 2")
        _write(tmp_path / "later" / "new.txt", b"appeared")
    assert (files / "now.txt").read_bytes() == b"v1"  # copied once
    assert (files / "end.txt").read_bytes() == b"version 2"
    assert (files / "live.txt").read_bytes() == b"version 2"  # changed: copied again at finish
    assert (files / "later" / "new.txt").read_bytes() == b"appeared"


def test_copies_happen_off_the_calling_thread(logdir, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    _write(tmp_path / "big.bin", b"x" * 1000)
    started = []
    real = saving.shutil.copyfile

    def slow_copy(src, dst):
        started.append(time.monotonic())
        time.sleep(0.5)
        return real(src, dst)

    monkeypatch.setattr(saving.shutil, "copyfile", slow_copy)
    with nbtrack.init(dir=logdir) as run:
        t0 = time.monotonic()
        run.save("big.bin", policy="now")
        assert time.monotonic() - t0 < 0.4  # save() returned while the copy sleeps
    assert (run.dir / "files" / "big.bin").stat().st_size == 1000  # finish() waited for it


def test_a_failed_copy_warns_and_never_raises(logdir, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    _write(tmp_path / "f.txt", b"x")

    def broken(src, dst):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(saving.shutil, "copyfile", broken)
    run = nbtrack.init(dir=logdir)
    with pytest.warns(RuntimeWarning, match="could not be copied to files/f.txt.*No space left"):
        run.save("f.txt", policy="now")
        run._saver.wait()
    run.finish()
    assert not (run.dir / "files" / "f.txt").exists()
    assert not [p for p in (run.dir / "files").rglob("*") if p.is_file()]  # no partial copy left either


def test_reader_refuses_links_and_skips_partial_copies(logdir, tmp_path):
    with nbtrack.init(dir=logdir) as run:
        run.log({"x": 1.0})
    files = run.dir / "files"
    _write(files / "ok.txt", b"1")
    _write(files / ".nbtrack-partial-123-big.bin", b"half")
    os.symlink("/etc/passwd", files / "passwd")
    reader = nbtrack.open(logdir).run(run.id)
    assert [f.path for f in reader.files()] == ["ok.txt"]
    assert any("passwd" in d.file and "symbolic link" in d.reason for d in reader.damage)


def test_current_run_save(logdir, tmp_path, monkeypatch, read):
    monkeypatch.chdir(tmp_path)
    _write(tmp_path / "notes.md", b"# hi")
    run = nbtrack.init(dir=logdir)
    nbtrack.save("notes.md", policy="end")
    nbtrack.finish()
    assert [f.path for f in read(run).files()] == ["notes.md"]


def test_a_glob_over_the_logdir_skips_the_runs_own_files(logdir, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    _write(tmp_path / "notes.txt", b"n")
    with nbtrack.init(dir=tmp_path / "runs") as run:
        run.log({"x": 1.0})
        run.save("**/*", policy="live")
    saved = sorted(p.relative_to(run.dir / "files").as_posix() for p in (run.dir / "files").rglob("*") if p.is_file())
    assert "notes.txt" in saved and not any(run.id in p for p in saved)
