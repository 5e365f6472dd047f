"""nbtrack.login() (a no-op that says so once) and Run.log_code (source files copied into <run>/code/)."""

from __future__ import annotations

import os
import warnings

import pytest

import nbtrack
from nbtrack.record import code as code_module
from nbtrack.record import login as login_module


def test_login_accepts_wandbs_arguments_and_says_so_once(monkeypatch, capsys):
    monkeypatch.setattr(login_module, "_told", False)
    assert nbtrack.login() is True
    assert nbtrack.login(key="secret-key-123", relogin=True, host="https://example.org", anonymous="allow",
                         force=True, timeout=5, verify=True, referrer="x") is True
    out = capsys.readouterr()
    assert out.out == ""
    assert out.err.count("login() is not needed") == 1
    assert "secret-key-123" not in out.err


def _tree(root):
    files = {
        "train.py": "print('train')\n",
        "requirements.txt": "numpy\n",
        "Dockerfile": "FROM python\n",
        "pkg/model.py": "x = 1\n",
        "pkg/data.csv": "a,b\n",
        "pkg/.secret/hidden.py": "no\n",
        ".git/hooks/pre-commit.py": "no\n",
        ".venv/lib/site.py": "no\n",
        "env/lib/x.py": "no\n",
        "env/pyvenv.cfg": "home = /usr\n",
        "node_modules/pkg/index.py": "no\n",
        "pkg/__pycache__/model.cpython-311.py": "no\n",
    }
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)


def test_log_code_copies_source_files_and_skips_environments(tmp_path, logdir):
    src = tmp_path / "project"
    _tree(src)
    with nbtrack.init(project="p") as run:
        logged = run.log_code(src)
    assert logged.files == ["Dockerfile", "requirements.txt", "train.py", "pkg/model.py"]
    assert logged.complete and logged.name == f"source-p-{run.id}" and logged.bytes > 0
    code = run.dir / "code"
    assert (code / "pkg" / "model.py").read_text() == "x = 1\n"
    copied = sorted(p.relative_to(code).as_posix() for p in code.rglob("*") if p.is_file())
    assert copied == sorted(logged.files)
    # the run still reads as one run: code/ is the run's own folder
    assert [r.id for r in nbtrack.open(logdir).readers()] == [run.id]


def test_include_and_exclude_functions_are_called_as_wandb_calls_them(tmp_path, logdir):
    src = tmp_path / "project"
    _tree(src)
    seen = []

    def include(path, root):
        seen.append(root)
        return path.endswith((".py", ".csv"))

    with nbtrack.init() as run:
        logged = run.log_code(src, name="mine", include_fn=include, exclude_fn=lambda path: "train" in path)
    assert logged.name == "mine"
    assert logged.files == ["pkg/data.csv", "pkg/model.py"]
    assert set(seen) == {os.fspath(src)}


def test_the_logdir_under_root_is_never_copied(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "train.py").write_text("x\n")
    with nbtrack.init(dir="nbruns") as run:
        run.log({"loss": 1.0})
        first = run.log_code(".")
        again = run.log_code(".")  # a second call copies the same files again
    assert first.files == again.files == ["train.py"]


def test_symbolic_links_are_not_followed(tmp_path, logdir):
    src = tmp_path / "project"
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "other.py").write_text("secret\n")
    src.mkdir()
    (src / "a.py").write_text("a\n")
    os.symlink(outside, src / "linked")
    os.symlink(outside / "other.py", src / "b.py")
    with nbtrack.init() as run:
        assert run.log_code(src).files == ["a.py"]


def test_log_code_is_bounded_and_warns_where_it_stopped(tmp_path, logdir, monkeypatch):
    src = tmp_path / "project"
    src.mkdir()
    for i in range(12):
        (src / f"m{i:02d}.py").write_text("x" * 100)
    monkeypatch.setattr(code_module, "MAX_FILES", 5)
    with nbtrack.init() as run:
        with pytest.warns(UserWarning, match="stopped after 5 files were copied"):
            logged = run.log_code(src)
    assert len(logged.files) == 5 and not logged.complete
    monkeypatch.setattr(code_module, "MAX_FILES", 1000)
    monkeypatch.setattr(code_module, "MAX_BYTES", 250)
    with nbtrack.init() as run:
        with pytest.warns(UserWarning, match=r"stopped after 0 MB were copied \(m02.py is 100 bytes\)"):
            logged = run.log_code(src)
    assert logged.files == ["m00.py", "m01.py"]


def test_bad_arguments_name_what_was_given(tmp_path, logdir):
    with nbtrack.init() as run:
        with pytest.raises(ValueError, match="is not a folder"):
            run.log_code(tmp_path / "missing")
        with pytest.raises(TypeError, match="takes a folder path"):
            run.log_code(3)
        with pytest.raises(TypeError, match="include_fn"):
            run.log_code(tmp_path, include_fn="*.py")
        with pytest.raises(TypeError, match="name"):
            run.log_code(tmp_path, name="")


def test_a_disabled_run_copies_nothing(tmp_path):
    (tmp_path / "a.py").write_text("a\n")
    with nbtrack.init(mode="disabled") as run, warnings.catch_warnings():
        warnings.simplefilter("error")
        assert run.log_code(tmp_path) is None
