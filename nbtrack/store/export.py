"""``export_logdir``: every scalar of a logdir's runs as files that data tools read as they are.

``format="parquet"`` writes, under ``out_dir``::

    scalars/run_id=<id>/part-0.parquet   one file per run: run_id, tag, step, wall_time, value
    runs.parquet                         one row per run: id, name, project, group, status,
                                         created, updated, tags, notes, path, config.*, summary.*

``scalars/`` is a hive-partitioned dataset: the run id is in the folder name, percent-encoded
as pyarrow writes partitions (``a/b`` -> ``run_id=a%2Fb``), and also a column of each file
(dictionary-encoded, as pyarrow reads a partition: pandas merges the two). pandas, polars and
DuckDB take the value from the folder name and the type from the file, so each sees ``run_id``
as text with the real id, an id like ``00042`` included (from the folder name alone polars
would read it as the number 42.0), and a single file still names its run (tested in
``tests/store/test_export.py``):

- pandas: ``pd.read_parquet("out/scalars")`` (``run_id`` categorical)
- polars: ``pl.read_parquet("out/scalars")``, ``pl.scan_parquet("out/scalars", hive_partitioning=True)``
  or a single file
- DuckDB: ``read_parquet('out/scalars/**/*.parquet', hive_partitioning = true)``
- Spark: ``spark.read.parquet("out/scalars")``. Spark gives a partition column the type it infers
  from the folder names, even when the files hold the column: when every id looks like a number
  or a date, set ``spark.sql.sources.partitionColumnTypeInference.enabled`` to false (or pass a
  schema). Not tested here (no Spark in the test environment).

Points are those of :meth:`nbtrack.Logdir.to_arrow`: every stored scalar record, each run read
once. The runs table is :meth:`nbtrack.Logdir.runs` for the runs exported (without
``summary_stale``); timestamps in microseconds (UTC); a config or summary key whose values do
not share one type across runs is JSON text.

``format="csv"`` writes ``scalars.csv`` (run_id, tag, step, wall_time, value) and ``runs.csv``
(lists and dicts as JSON text).

>>> import nbtrack, tempfile, pandas as pd
>>> d, out = tempfile.mkdtemp(), tempfile.mkdtemp()
>>> for rid in ("r1", "r2"):
...     with nbtrack.init(dir=d, id=rid, config={"opt": {"lr": 0.1}}) as run:
...         for i in range(3): run.log({"loss": i})
>>> export_logdir(d, out, progress=False)
ExportResult(out_dir=..., format='parquet', runs=2, points=6, skipped=[], files=[...], damaged=[])
>>> pd.read_parquet(f"{out}/scalars").groupby("run_id", observed=True)["value"].sum().to_dict()
{'r1': 3.0, 'r2': 3.0}
>>> pd.read_parquet(f"{out}/runs.parquet")[["id", "config.opt.lr"]].values.tolist()
[['r1', 0.1], ['r2', 0.1]]
"""

from __future__ import annotations

import os

from .exporter import ExportResult, write_export
from .logdir import Logdir

__all__ = ["ExportResult", "export_logdir"]


def export_logdir(logdir: str | os.PathLike[str] | Logdir, out_dir: str | os.PathLike[str], *,
                  format: str = "parquet", runs: str | None = None, tags: str | None = None,
                  progress: bool | None = None, overwrite: bool = False) -> ExportResult:
    """Write the scalars and the runs table of ``logdir`` (a path or a :class:`Logdir`) under ``out_dir``.

    ``format``: ``"parquet"`` or ``"csv"`` (layouts in the module's docstring). ``runs``: a regular
    expression searched in each run's name, id and path under the logdir; ``tags``: one searched
    in tag names; None keeps all. ``progress``: a bar over the runs (tqdm) when True, never when
    False, when stderr is a terminal when None. ``out_dir`` must be new or empty unless
    ``overwrite`` (which replaces the export's own files there and leaves the rest).

    A run that cannot be read is left out and named in ``result.skipped``, with a
    ``RuntimeWarning`` per run (and one per problem the logdir reports); records of a damaged
    data file that cannot be read are left out of an exported run (``result.damaged``).

    Raises ``FileNotFoundError`` (no such logdir), ``ValueError`` (no runs to export, a bad
    ``format`` or regular expression) and ``FileExistsError`` (``out_dir`` is not empty).
    """
    opened = not isinstance(logdir, Logdir)
    if opened:
        path = os.fspath(logdir)  # type: ignore[arg-type]
        if not os.path.isdir(os.path.expanduser(path)):
            raise FileNotFoundError(f"export_logdir(logdir=...): {path!r} does not exist or is not a folder")
        logdir = Logdir(path)
    assert isinstance(logdir, Logdir)
    return write_export(logdir, out_dir, format=format, runs=runs, tags=tags, progress=progress,
                        overwrite=overwrite, forget=opened)
