"""Storage: the run folder on disk, its format, and reading runs back.

Writing: ``sink.py`` appends the record batches (``batches.py``) a run's writer hands it
to Arrow IPC streams in the run folder (``folder.py``, FORMAT.md). Reading: ``tail.py``
reads what was appended to one stream, verified; ``reader.py`` (``RunReader``) and
``logdir.py`` (``Logdir``, ``nbtrack.open``) read runs incrementally; ``sources.py`` is the
registry of the kinds of run a logdir may hold. Never imports ``record/`` or
``dashboard/``. See docs/architecture.md.
"""
