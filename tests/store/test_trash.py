"""``nbtrack.store.trash``: runs moved into ``<logdir>/.trash/`` and back, deleted for good, never
anything outside the logdir; run discovery does not see the trash."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import nbtrack
from nbtrack.store.logdir import find_run_folders
from nbtrack.store.trash import TRASH_DIR, TrashEntry, list_trash, purge_run, restore, trash_run


@pytest.fixture
def logdir(tmp_path: Path) -> Path:
    """Two finished runs, ``a`` and ``b``, one nested a level down (``group/b``)."""
    root = tmp_path / "runs"
    with nbtrack.init(dir=root, id="a") as run:
        run.log({"loss": 1.0})
    with nbtrack.init(dir=root / "group", id="b") as run:
        run.log({"loss": 2.0})
    return root


def test_a_trashed_run_is_not_found_by_discovery_nor_listed(logdir):
    where = trash_run(logdir, nbtrack.open(logdir).run("a"), now=0.0)
    assert where == logdir.resolve() / TRASH_DIR / "19700101T000000Z-a"
    assert (where / "run.json").is_file() and not (logdir / "a").exists()
    assert [p.name for p in find_run_folders(logdir)] == ["b"]
    assert list(nbtrack.open(logdir).runs()["id"]) == ["b"]
    assert not nbtrack.open(logdir).problems


def test_list_and_restore_put_a_run_back_where_it_was(logdir):
    trash_run(logdir, logdir / "group" / "b")
    (entry,) = list_trash(logdir)
    assert isinstance(entry, TrashEntry) and entry.run_id == "b" and entry.origin == "group/b"
    assert restore(logdir, entry) == logdir.resolve() / "group" / "b"
    assert sorted(nbtrack.open(logdir).runs()["id"]) == ["a", "b"] and list_trash(logdir) == []


def test_restore_refuses_to_overwrite(logdir):
    where = trash_run(logdir, logdir / "a")
    (logdir / "a").mkdir()
    with pytest.raises(FileExistsError, match="exists"):
        restore(logdir, where.name)


def test_the_same_run_trashed_twice_gets_two_entries(logdir):
    first = trash_run(logdir, logdir / "a", now=0.0)
    restore(logdir, first)
    second = trash_run(logdir, logdir / "a", now=0.0)
    assert second.name == first.name  # the first entry was restored: its name is free again
    (logdir / "a").mkdir()
    (logdir / "a" / "run.json").write_text(json.dumps({"id": "a"}))
    third = trash_run(logdir, logdir / "a", now=0.0)
    assert third.name == first.name + "-2" and len(list_trash(logdir)) == 2


def test_purge_deletes_for_good_and_empties_a_trash_entry(logdir):
    purge_run(logdir, nbtrack.open(logdir).run("a"))
    assert not (logdir / "a").exists() and list_trash(logdir) == []
    trash_run(logdir, logdir / "group" / "b")
    purge_run(logdir, list_trash(logdir)[0])
    assert list_trash(logdir) == [] and list(nbtrack.open(logdir).runs()["id"]) == []


def test_nothing_outside_the_logdir_is_moved(logdir, tmp_path):
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "run.json").write_text("{}")
    (logdir / "link").symlink_to(outside, target_is_directory=True)
    (logdir / "via").symlink_to(tmp_path, target_is_directory=True)
    for folder, message in [(outside, "not inside"), (logdir / "link", "symbolic link"),
                            (logdir / "via" / "outside", "not inside"), (logdir / ".." / "outside", "not inside"),
                            (logdir, "logdir itself")]:
        with pytest.raises(ValueError, match=message):
            trash_run(logdir, folder)
        with pytest.raises(ValueError, match=message):
            purge_run(logdir, folder)
    assert (outside / "run.json").is_file() and (logdir / "link").is_symlink()


def test_a_trash_entry_is_not_trashed_again_and_a_missing_folder_is_not_found(logdir):
    where = trash_run(logdir, logdir / "a")
    with pytest.raises(ValueError, match="already in the trash"):
        trash_run(logdir, where)
    with pytest.raises(FileNotFoundError):
        trash_run(logdir, logdir / "nope")
    with pytest.raises(FileNotFoundError):
        trash_run(logdir / "missing", logdir / "a")
