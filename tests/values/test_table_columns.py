"""Table.add_column / get_column, as wandb's: lengths checked, cells checked, logged copies untouched."""

from __future__ import annotations

import numpy as np
import pytest

import nbtrack
from nbtrack.values.image import Image
from nbtrack.values.table import Table


def test_add_column_appends_a_cell_to_every_row():
    t = Table(columns=["epoch"], data=[[1], [2], [3]])
    t.add_column("loss", [0.5, 0.25, 0.125])
    t.add_column("note", np.array(["a", "b", "c"]))
    assert t.columns == ["epoch", "loss", "note"]
    assert t.types == ["number", "number", "str"]
    assert t.data == [[1, 0.5, "a"], [2, 0.25, "b"], [3, 0.125, "c"]]
    assert t.get_column("note") == ["a", "b", "c"]
    assert t.get_column("loss", convert_to="numpy").tolist() == [0.5, 0.25, 0.125]
    t.add_data(4, 0.0625, "d")  # rows added later have every column
    assert len(t) == 4


def test_length_mismatch_names_the_column_and_both_lengths():
    t = Table(columns=["x"], data=[[1], [2]])
    with pytest.raises(ValueError, match=r"column 'y' has 3 values; the table has 2 rows"):
        t.add_column("y", [1, 2, 3])
    with pytest.raises(ValueError, match=r"column 'y' has 1 value; the table has 2 rows"):
        t.add_column("y", [1])
    assert t.columns == ["x"] and t.data == [[1], [2]]  # nothing changed


def test_a_table_without_columns_takes_its_rows_from_the_first_column():
    t = Table(columns=[])
    t.add_column("id", [10, 20])
    t.add_column("img", [Image(np.zeros((4, 4), np.uint8)), None])
    assert len(t) == 2 and t.types == ["number", "image"]


def test_bad_columns_raise_and_change_nothing():
    t = Table(columns=["x"], data=[[1], [2]])
    with pytest.raises(ValueError, match="already has a column 'x'"):
        t.add_column("x", [1, 2])
    with pytest.raises(TypeError, match="takes a str"):
        t.add_column(3, [1, 2])  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="takes a list of cells"):
        t.add_column("s", "ab")
    with pytest.raises(ValueError, match="must be 1-D"):
        t.add_column("m", np.zeros((2, 2)))
    with pytest.raises(TypeError, match=r"column 'mixed' holds number cells, but row 1 has a str cell"):
        t.add_column("mixed", [1, "two"])
    with pytest.raises(TypeError, match=r"column 'obj', row 0"):
        t.add_column("obj", [object(), 1])
    assert t.columns == ["x"] and t.types == ["number"] and t.data == [[1], [2]]
    with pytest.raises(KeyError, match="no column 'nope'"):
        t.get_column("nope")
    with pytest.raises(ValueError, match="convert_to"):
        t.get_column("x", convert_to="pandas")


def test_a_logged_table_keeps_the_columns_it_had(logdir):
    t = Table(columns=["x"], data=[[1], [2]])
    with nbtrack.init(name="t") as run:
        run.log({"table": t})
        t.add_column("y", [3, 4])  # after log(): not in what was logged
        run.log({"table": t})
    frames = nbtrack.open(logdir).run(run.id).tables("table")["table"].tolist()
    assert [f.columns.tolist() for f in frames] == [["x"], ["x", "y"]]
    assert frames[1].values.tolist() == [[1, 3], [2, 4]]
