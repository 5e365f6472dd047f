"""``nbtrack.Table``: rows of numbers, strings, booleans, images, audio and text, stored as JSON."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from nbtrack.codecs import decode_png, decode_wav

from ._base import Encoded, Value, check_unicode

MEDIA_KINDS = {"image": "image", "audio": "audio", "text": "text", "markdown": "text", "html": "text"}
ACCEPTED = ("None, bool, int, float, str, numpy scalars, nbtrack.Image, nbtrack.Audio, "
            "nbtrack.Text, nbtrack.Markdown, nbtrack.Html")
_CELL_FILE = re.compile(r"\.cell-\d+-\d+(\.[A-Za-z0-9]+)+")


class Table(Value):
    """A table, like ``wandb.Table``: named columns, rows of cells that may hold images.

    Pass ``columns`` (unique names) and ``data`` (a list of rows), or a pandas
    ``dataframe``; add rows later with :meth:`add_data` (or its alias :meth:`add_row`).
    Cells are ``None``, ``bool``, ``int``, ``float`` (NaN and infinities allowed),
    ``str``, numpy scalars (converted to Python) and the value objects ``Image``,
    ``Audio``, ``Text``, ``Markdown`` and ``Html``. A column holds one kind of cell
    (numbers, strings, booleans, images, audio or text) plus ``None``. Rows are
    copied when added, so changing the caller's lists later changes nothing.

    Examples
    --------
    >>> from nbtrack.values.table import Table
    >>> t = Table(columns=["epoch", "note"], data=[[1, "warm-up"], [2, None]])
    >>> t.add_data(3, "学习率 ↓ 📉")
    >>> len(t), t.columns, t.types
    (3, ['epoch', 'note'], ['number', 'str'])
    """

    KIND = "table"

    def __init__(self, columns: Sequence[str] | None = None, data: Sequence[Sequence[Any]] | None = None,
                 dataframe: Any = None) -> None:
        if dataframe is not None:
            if columns is not None or data is not None:
                raise TypeError("Table(): pass dataframe= alone; its column names become the table's columns")
            columns, data = dataframe_rows(dataframe, "Table(dataframe=...)")
        if columns is None and data is None:
            raise TypeError("Table(): pass columns=[names], data=[rows] or dataframe=")
        rows = _rows_of(data)
        self.columns = _check_columns(columns if columns is not None else
                                      [str(i) for i in range(len(rows[0]) if rows else 0)])
        self.types: list[str | None] = [None] * len(self.columns)
        self._rows: list[list[Any]] = []
        for row in rows:
            self._append(row)

    def add_data(self, *cells: Any) -> None:
        """Append one row: one cell per column, checked like the constructor's rows."""
        self._append(cells)

    def add_row(self, *cells: Any) -> None:
        """Append one row (alias of :meth:`add_data`)."""
        self._append(cells)

    def add_column(self, name: str, data: Sequence[Any], optional: bool = False) -> None:
        """Add a column of one cell per row, as wandb's ``Table.add_column``.

        ``data`` is a list, tuple or 1-D numpy array as long as the table has rows (a table
        without columns takes its rows from it); cells are checked as the constructor's. A call
        that raises changes nothing, and a table already logged keeps the columns it had.

        >>> t = Table(columns=["epoch"], data=[[1], [2]])
        >>> t.add_column("loss", [0.5, 0.25])
        >>> t.columns, t.get_column("loss")
        (['epoch', 'loss'], [0.5, 0.25])
        >>> t.add_column("acc", [0.9])
        Traceback (most recent call last):
        ...
        ValueError: Table.add_column(): column 'acc' has 1 value; the table has 2 rows
        """
        if not isinstance(name, str):
            raise TypeError(f"Table.add_column(name=...) takes a str, got {type(name).__name__} {name!r}")
        check_unicode(name, "Table.add_column(name=...)")
        if name in self.columns:
            raise ValueError(f"Table.add_column(): the table already has a column {name!r}; columns are "
                             f"{self.columns}")
        if isinstance(data, np.ndarray):
            if data.ndim != 1:
                raise ValueError(f"Table.add_column(): column {name!r} must be 1-D, got an array of shape {data.shape}")
            data = data.tolist()
        if isinstance(data, (str, bytes, dict)) or not isinstance(data, Sequence):
            raise TypeError(f"Table.add_column(): column {name!r} takes a list of cells, got {type(data).__name__}")
        cells = list(data)
        if self.columns and len(cells) != len(self._rows):
            raise ValueError(f"Table.add_column(): column {name!r} has {len(cells)} value"
                             f"{'' if len(cells) == 1 else 's'}; the table has {len(self._rows)} "
                             f"row{'' if len(self._rows) == 1 else 's'}")
        clean = [_cell(value, name, i) for i, value in enumerate(cells)]
        kind: str | None = None
        for i, value in enumerate(clean):
            found = _type_of(value)
            if found is None or kind in (None, found):
                kind = kind or found
                continue
            raise TypeError(f"Table.add_column(): column {name!r} holds {kind} cells, but row {i} has a {found} "
                            f"cell ({type(cells[i]).__name__}); a column holds one kind of cell besides None")
        rows = self._rows if self.columns else [[] for _ in clean]
        self._rows = [[*row, value] for row, value in zip(rows, clean)]  # new lists: logged copies keep theirs
        self.columns = [*self.columns, name]
        self.types = [*self.types, kind]

    def get_column(self, name: str, convert_to: str | None = None) -> Any:
        """The cells of column ``name`` in row order (``convert_to="numpy"``: a numpy array), as wandb's.

        >>> Table(columns=["x"], data=[[1], [2]]).get_column("x", convert_to="numpy")
        array([1, 2])
        """
        if name not in self.columns:
            raise KeyError(f"Table.get_column(): no column {name!r}; columns are {self.columns}")
        if convert_to not in (None, "numpy"):
            raise ValueError(f"Table.get_column(convert_to=...): {convert_to!r} is not accepted; use None or 'numpy'")
        c = self.columns.index(name)
        cells = [row[c] for row in self._rows]
        return np.array(cells) if convert_to == "numpy" else cells

    def __len__(self) -> int:
        return len(self._rows)

    @property
    def data(self) -> list[list[Any]]:
        """A copy of the rows (cells as stored: Python scalars and value objects)."""
        return [list(row) for row in self._rows]

    @property
    def nbytes(self) -> int:
        media = sum(cell.nbytes for row in self._rows for cell in row if isinstance(cell, Value))
        return 256 + 64 * len(self._rows) * max(1, len(self.columns)) + media

    def _append(self, row: Any) -> None:
        index = len(self._rows)
        if isinstance(row, np.ndarray):
            row = row.tolist()
        if not isinstance(row, (list, tuple)):
            raise TypeError(f"Table(): row {index} must be a list or tuple of cells, got {type(row).__name__}")
        if len(row) != len(self.columns):
            raise ValueError(f"Table(): row {index} has {len(row)} cells; the table has {len(self.columns)} "
                             f"columns {self.columns}")
        clean = [_cell(value, name, index) for value, name in zip(row, self.columns)]
        types = list(self.types)
        for c, value in enumerate(clean):
            kind = _type_of(value)
            if kind is None or types[c] in (None, kind):
                types[c] = types[c] or kind
                continue
            raise TypeError(f"Table(): column {self.columns[c]!r} holds {types[c]} cells, but row {index} has "
                            f"a {kind} cell ({type(row[c]).__name__}); a column holds one kind of cell "
                            "(number, str, bool, image, audio or text) besides None")
        self.types = types
        self._rows.append(clean)

    def frozen(self) -> Table:
        """A copy holding the rows added so far: rows added after ``log()`` are not logged."""
        copy = object.__new__(Table)
        copy.__dict__.update(self.__dict__)
        copy._rows = [list(row) for row in self._rows]
        copy.types = list(self.types) if isinstance(self.types, list) else self.types
        return copy

    def encode(self) -> Encoded:
        rows = [list(row) for row in self._rows]
        files: dict[str, bytes] = {}
        out_rows = [[_encode_cell(cell, r, c, files) for c, cell in enumerate(row)] for r, row in enumerate(rows)]
        types = [kind or "none" for kind in self.types]
        body = {"columns": self.columns, "types": types, "rows": out_rows}
        main = json.dumps(body, ensure_ascii=False, allow_nan=True).encode("utf-8")
        meta = {"rows": len(rows), "columns": list(self.columns), "types": types}
        return Encoded(self.KIND, meta, {".json": main, **files})


def dataframe_rows(frame: Any, where: str) -> tuple[list[str], list[list[Any]]]:
    """Column names (as str) and rows of a pandas or polars DataFrame, duck-typed.

    Missing values of non-numeric pandas columns (NaN in a string column) become ``None``.

    >>> import pandas as pd
    >>> dataframe_rows(pd.DataFrame({1: [0.5, None], "s": ["x", None]}), "example")
    (['1', 's'], [[0.5, 'x'], [nan, None]])
    """
    if hasattr(frame, "columns") and hasattr(frame, "itertuples"):
        rows = [list(row) for row in frame.itertuples(index=False, name=None)]
        textual = [c for c, dtype in enumerate(frame.dtypes) if getattr(dtype, "kind", "O") not in "biufc"]
        for row in rows:
            for c in textual:
                if isinstance(row[c], float) and row[c] != row[c]:
                    row[c] = None
    elif hasattr(frame, "columns") and hasattr(frame, "iter_rows"):
        rows = [list(row) for row in frame.iter_rows()]
    else:
        raise TypeError(f"{where}: expected a pandas (or polars) DataFrame, got {type(frame).__name__}")
    return [str(name) for name in frame.columns], rows


def _rows_of(data: Any) -> list[Any]:
    if data is None:
        return []
    if isinstance(data, np.ndarray):
        if data.ndim != 2:
            raise ValueError(f"Table(data=...): a numpy array must be 2-D (rows x columns), got shape {data.shape}")
        return data.tolist()
    if isinstance(data, (str, bytes, dict)) or not isinstance(data, Sequence):
        raise TypeError(f"Table(data=...): expected a list of rows (each a list or tuple), got {type(data).__name__}")
    return list(data)


def _check_columns(columns: Any) -> list[str]:
    if isinstance(columns, (str, bytes)) or not isinstance(columns, Sequence):
        raise TypeError(f"Table(columns=...): expected a list of str, got {type(columns).__name__}")
    names = list(columns)
    for i, name in enumerate(names):
        if not isinstance(name, str):
            raise TypeError(f"Table(columns=...): column {i} is a {type(name).__name__} ({name!r}); names must be str")
        check_unicode(name, f"Table(columns=...): column {i}")
    duplicates = sorted({name for name in names if names.count(name) > 1})
    if duplicates:
        raise ValueError(f"Table(columns=...): column names must be unique; repeated: {duplicates}")
    return names


NOT_SCALAR = object()
"""Returned by :func:`plain_scalar` for values that are not scalars."""


def plain_scalar(value: Any) -> Any:
    """``None``, ``bool``, ``int``, ``float`` or ``str`` for a scalar (numpy scalars and subclasses converted,
    pandas' missing values to ``None``), else :data:`NOT_SCALAR`.

    >>> plain_scalar(np.float32(0.5)), plain_scalar(np.bool_(True)), plain_scalar([1]) is NOT_SCALAR
    (0.5, True, True)
    """
    if value is None or type(value) in (bool, int, float, str):
        return value
    if isinstance(value, np.generic) and value.dtype.kind in "biufU":
        return value.item()
    for kind in (bool, int, float, str):
        if isinstance(value, kind):
            return kind(value)
    if type(value).__name__ in ("NAType", "NaTType"):  # pandas' missing values
        return None
    return NOT_SCALAR


def _cell(value: Any, column: str, row: int) -> Any:
    """A cell as stored: a Python scalar or a value object; anything else is a TypeError."""
    scalar = plain_scalar(value)
    if isinstance(scalar, str):
        check_unicode(scalar, f"Table: the cell in column {column!r}, row {row}")
    if scalar is not NOT_SCALAR:
        return scalar
    if isinstance(value, Value) and value.KIND in MEDIA_KINDS:
        return value
    raise TypeError(f"Table(): the cell in column {column!r}, row {row} is a {type(value).__name__}, which a "
                    f"table cannot hold; accepted are {ACCEPTED}")


def _type_of(cell: Any) -> str | None:
    if cell is None:
        return None
    if isinstance(cell, bool):
        return "bool"
    if isinstance(cell, (int, float)):
        return "number"
    if isinstance(cell, str):
        return "str"
    return MEDIA_KINDS[cell.KIND]


def _encode_cell(cell: Any, row: int, column: int, files: dict[str, bytes]) -> Any:
    if not isinstance(cell, Value):
        return cell
    encoded = cell.encode()
    out: dict[str, Any] = {"_media": encoded.kind, "meta": encoded.meta}
    if encoded.text is not None:
        out["text"] = encoded.text
    names = {}
    for suffix, data in encoded.files.items():
        names[suffix] = f".cell-{row}-{column}{suffix}"
        files[names[suffix]] = data
    if names:
        out["file"] = next(iter(names.values()))
    if len(names) > 1:
        out["files"] = names
    return out


def decode_table(json_bytes: bytes, read_file: Callable[[str], bytes]) -> tuple[list[str], list[list[Any]]]:
    """Columns and rows of a table written by :meth:`Table.encode`.

    ``read_file(suffix)`` returns the bytes of a cell's file (its suffix, like
    ``".cell-0-2.png"``, as written in the JSON). Image cells stored as PNG decode to
    numpy arrays (other image files to their bytes), audio cells to ``(samples, rate)``
    and text cells to ``str``. Malformed input raises ``ValueError``.

    >>> from nbtrack.values.table import Table, decode_table
    >>> enc = Table(columns=["x", "y"], data=[[1.5, "ok"], [float("nan"), None]]).encode()
    >>> decode_table(enc.files[".json"], enc.files.__getitem__)
    (['x', 'y'], [[1.5, 'ok'], [nan, None]])
    """
    try:
        body = json.loads(json_bytes.decode("utf-8") if isinstance(json_bytes, (bytes, bytearray)) else json_bytes)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ValueError(f"decode_table(): not a table's JSON ({exc})") from None
    if not (isinstance(body, dict) and isinstance(body.get("columns"), list) and isinstance(body.get("rows"), list)):
        raise ValueError("decode_table(): the JSON must be an object with 'columns' and 'rows' lists")
    columns = body["columns"]
    if not all(isinstance(name, str) for name in columns):
        raise ValueError("decode_table(): column names must be strings")
    rows = []
    for r, row in enumerate(body["rows"]):
        if not isinstance(row, list) or len(row) != len(columns):
            raise ValueError(f"decode_table(): row {r} is not a list of {len(columns)} cells")
        rows.append([_decode_cell(cell, read_file) for cell in row])
    return columns, rows


def _decode_cell(cell: Any, read_file: Callable[[str], bytes | None]) -> Any:
    if cell is None or isinstance(cell, (bool, int, float, str)):
        return cell
    if not isinstance(cell, dict) or not isinstance(cell.get("_media"), str):
        raise ValueError(f"decode_table(): unexpected cell of type {type(cell).__name__}")
    kind = MEDIA_KINDS.get(cell["_media"])
    if kind == "text":
        if not isinstance(cell.get("text"), str):
            raise ValueError("decode_table(): a text cell has no 'text' string")
        return cell["text"]
    name = cell.get("file")
    if kind is None or not isinstance(name, str) or not _CELL_FILE.fullmatch(name):
        raise ValueError(f"decode_table(): bad media cell {cell.get('_media')!r} with file {name!r}")
    data = read_file(name)
    if data is None:  # the cell's file is missing or was refused: the cell reads as empty
        return None
    if kind == "audio":
        return decode_wav(data)
    return decode_png(data) if name.endswith(".png") else data
