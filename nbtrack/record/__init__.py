"""Recording: ``init()``, the ``Run`` recorder and its writer thread.

``log()`` validates, stamps the step and time and appends to memory (``collector.py``);
the writer thread (``writer.py``) drains that into record batches every flush interval
and hands them to the run's sinks: the run folder (``nbtrack.store.sink``) and any live
views attached with ``Run.attach``. Imports ``store/``, ``values/`` and ``codecs/``;
never ``dashboard/`` (``Run.show`` hands off to it lazily). See docs/architecture.md.
"""
