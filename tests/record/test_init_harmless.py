"""init() does no harm when it fails, and says so when it is given a keyword it does not know
(issue 17 item 7)."""

from __future__ import annotations

import warnings

import pytest

import nbtrack

BAD = [
    ({"project": 123}, TypeError, r"project=...\) takes a non-empty str, got 123"),
    ({"name": ""}, TypeError, r"name=..."),
    ({"id": "abc\n"}, ValueError, r"not a valid run id"),
    ({"id": "../x"}, ValueError, r"not a valid run id"),
    ({"tags": "oops"}, TypeError, r"tags=..."),
    ({"resume": "sometimes"}, ValueError, r"resume=..."),
    ({"resume": "must"}, ValueError, r"resume='must'"),
    ({"id": "nosuchrun", "resume": "must"}, FileNotFoundError, r"no such run"),
    ({"id": "existing"}, FileExistsError, r"already exists"),
    ({"mode": "cloud"}, ValueError, r"mode=..."),
    ({"flush_interval": "soon"}, TypeError, r"flush_interval=...\) takes a number of seconds, got 'soon'"),
    ({"flush_interval": -1}, ValueError, r"flush_interval=..."),
    ({"dir": 123}, TypeError, r"dir=...\) takes a folder path"),
    ({"config": {"f": object()}}, TypeError, r"config"),
]


@pytest.mark.parametrize(("kwargs", "error", "match"), BAD, ids=[repr(k) for k, _, _ in BAD])
def test_a_failing_init_leaves_the_current_run_running(logdir, read, kwargs, error, match):
    nbtrack.init(id="existing").finish()
    run = nbtrack.init()
    run.log({"a": 1.0})
    with pytest.raises(error, match=match):
        nbtrack.init(**kwargs)
    assert not run.finished and nbtrack.run is run
    run.log({"a": 2.0})
    run.finish()
    assert read(run).scalars("a")["value"].tolist() == [1.0, 2.0]


def test_a_run_id_with_a_trailing_newline_is_refused(logdir):
    for bad in ("abc\n", "abc\r", "a\nb"):
        with pytest.raises(ValueError, match=r"not a valid run id"):
            nbtrack.init(id=bad)
    assert not logdir.exists() or not any(logdir.iterdir())


def test_unknown_keywords_warn_and_name_the_likely_one(logdir):
    with pytest.warns(UserWarning, match=r"unknown keyword argument 'projcet' \(did you mean 'project'\?\) ignored"):
        run = nbtrack.init(projcet="p")
    run.finish()
    with pytest.warns(UserWarning, match=r"'foo', 'zzz'"):
        nbtrack.init(zzz=1, foo=2).finish()


def test_wandb_keywords_are_accepted_without_a_warning(logdir):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        run = nbtrack.init(project="p", allow_val_change=True, force=False, anonymous="never", resume_from=None,
                           fork_from=None, save_code=True, tensorboard=False, sync_tensorboard=False,
                           monitor_gym=False, entity="e", job_type="j", config_exclude_keys=[],
                           config_include_keys=None, settings={}, group="g", notes="n", tags=[])
    run.finish()


def test_resume_allow_waits_for_a_folder_being_created(logdir, monkeypatch):
    """Another process took the folder but has not written run.json yet: resume waits for it."""
    import threading

    from nbtrack.record import create

    first = nbtrack.init(id="shared")
    first.finish()
    run_json = first.dir / "run.json"
    held = run_json.read_bytes()
    run_json.unlink()  # as if the creator were between its mkdir and its run.json
    threading.Timer(0.2, run_json.write_bytes, [held]).start()
    again = nbtrack.init(id="shared", resume="allow")
    assert again.resumed
    again.finish()
    run_json.unlink()
    monkeypatch.setattr(create, "IDENTITY_WAIT", 0.1)
    with pytest.raises(FileExistsError, match=r"holds no run.json"):
        nbtrack.init(id="shared", resume="allow")
