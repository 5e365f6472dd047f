"""``nbtrack.Histogram``: a distribution, binned in the background, non-finite values counted."""

from __future__ import annotations

import sys
from typing import Any

import numpy as np

from ._base import Encoded, Value, as_array
from .binning import MAX_EQUAL_BINS, equal_width_counts, moments
from .buffers import POOL

MAX_BINS = 512
MAX_GIVEN_BINS = 2048  # precomputed buckets kept as written: TensorBoard's "tensorflow" buckets number up to 1,549


class Histogram(Value):
    """A histogram of ``values`` (any array-like or tensor), or of precomputed ``(counts, edges)``.

    ``bins`` is a count (1 to 512), ``"auto"`` (numpy's choice, capped at 512),
    ``"tensorflow"`` (TensorBoard's exponential buckets) or a sequence of edges. The
    call only copies the data; binning happens in nbtrack's writer thread. A CUDA
    tensor is binned on its device, so only the counts cross to the host. NaN and
    +/-Inf are counted in the record (``nan``, ``posinf``, ``neginf``), and so are finite
    values outside given edges (``underflow``, ``overflow``): nothing is dropped silently.
    Computed edges span the finite values; a bin count gets the edges ``numpy.histogram``
    gives the same data (float32 data: float32 edges), at about its cost, and no binning
    sorts the data. Precomputed edges are kept as given.

    >>> import numpy as np, nbtrack
    >>> h = nbtrack.Histogram(np.random.default_rng(0).normal(size=1000), bins=32)
    >>> h.encode().arrays["counts"].sum()
    np.float64(1000.0)
    """

    KIND = "histogram"

    def __init__(self, values: Any = None, np_histogram: Any = None, bins: Any = 64) -> None:
        if (values is None) == (np_histogram is None):
            raise TypeError("Histogram(): pass exactly one of values= or np_histogram=(counts, edges)")
        self._bins = _check_bins(bins)
        self._given: tuple[np.ndarray, np.ndarray] | None = None
        self._binned: dict[str, Any] | None = None
        self._values: np.ndarray | None = None
        self._nonfinite = {"nan": 0, "posinf": 0, "neginf": 0}  # counted beside precomputed bins (from_counts)
        if np_histogram is not None:
            self._given = _check_given(np_histogram)
        elif _is_cuda_tensor(values):
            self._binned = _bin_on_device(values, self._bins)
        else:
            data = as_array(values, "values", "Histogram()")
            if data.size == 0:
                raise ValueError("Histogram(): values is empty; a histogram needs at least one value")
            small_float = data.dtype in (np.float32, np.float16)  # integers go to float64: exact
            kind = np.float32 if small_float else np.float64
            self._values = POOL.copy_of(data if data.dtype == kind else data.astype(kind), owner=self)

    @classmethod
    def from_counts(cls, counts: Any, edges: Any, nan: int = 0, posinf: int = 0, neginf: int = 0) -> Histogram:
        """Bins counted elsewhere (on a GPU, say) with the NaN and +/-Inf values left out of them.

        As ``Histogram(np_histogram=(counts, edges))``, and the record counts ``nan``, ``posinf``
        and ``neginf`` as a histogram of the values would. All counts may be 0 (every value NaN).

        >>> import nbtrack
        >>> h = nbtrack.Histogram.from_counts([2, 1], [0.0, 0.5, 1.0], nan=3)
        >>> stats = h.encode().meta
        >>> stats["count"], stats["nan"], stats["min"], stats["max"]
        (3.0, 3, 0.0, 1.0)
        """
        extra = {"nan": nan, "posinf": posinf, "neginf": neginf}
        for name, value in extra.items():
            if isinstance(value, bool) or not hasattr(value, "__index__") or int(value) < 0:
                raise ValueError(f"Histogram.from_counts({name}=...) takes a count >= 0, got {value!r}")
        histogram = cls(np_histogram=(counts, edges))
        histogram._nonfinite = {name: int(value) for name, value in extra.items()}
        return histogram

    @property
    def nbytes(self) -> int:
        return int(self._values.nbytes) if self._values is not None else 8 * 2 * MAX_BINS

    def encode(self) -> Encoded:
        if self._given is not None:
            counts, edges = self._given
            total = float(counts.sum())
            empty = total == 0 and any(self._nonfinite.values())  # every value NaN or Inf: no finite range
            stats = {"count": total, "underflow": 0, "overflow": 0, **self._nonfinite,
                     "min": None if empty else float(edges[0]),
                     "max": None if empty else float(edges[-1]), "sum": None, "sum_squares": None}
            return Encoded(self.KIND, stats, arrays={"edges": edges, "counts": counts})
        if self._binned is not None:
            binned = dict(self._binned)
            arrays = {"edges": binned.pop("edges"), "counts": binned.pop("counts")}
            return Encoded(self.KIND, binned, arrays=arrays)
        return _bin_values(self._values, self._bins)


def _check_bins(bins: Any) -> Any:
    if isinstance(bins, str):
        if bins not in ("auto", "tensorflow"):
            raise ValueError(f"Histogram(bins=...): {bins!r} is not accepted; use a count 1..{MAX_BINS}, "
                             "'auto', 'tensorflow' or a sequence of edges")
        return bins
    if isinstance(bins, (int, np.integer)) and not isinstance(bins, bool):
        if not 1 <= bins <= MAX_BINS:
            raise ValueError(f"Histogram(bins=...): {bins} bins are not accepted; use 1..{MAX_BINS}")
        return int(bins)
    edges = np.asarray(bins, dtype=np.float64) if not isinstance(bins, bool) else np.zeros(0)
    if edges.ndim != 1 or not 2 <= len(edges) <= MAX_BINS + 1 or not (np.diff(edges) > 0).all():
        raise ValueError(f"Histogram(bins=...): {type(bins).__name__} is not accepted; edges must be 2 to "
                         f"{MAX_BINS + 1} strictly increasing numbers")
    return edges


def _check_given(np_histogram: Any) -> tuple[np.ndarray, np.ndarray]:
    try:
        counts, edges = np_histogram
    except (TypeError, ValueError):
        raise TypeError("Histogram(np_histogram=...) takes a pair (counts, edges), as numpy.histogram "
                        f"returns; got {type(np_histogram).__name__}") from None
    counts = np.array(as_array(counts, "np_histogram counts", "Histogram()"), dtype=np.float64).reshape(-1)
    edges = np.array(as_array(edges, "np_histogram edges", "Histogram()"), dtype=np.float64).reshape(-1)
    if len(edges) != len(counts) + 1:
        raise ValueError(f"Histogram(np_histogram=...): {len(counts)} counts need {len(counts) + 1} edges, "
                         f"got {len(edges)}")
    if not 1 <= len(counts) <= MAX_GIVEN_BINS:
        raise ValueError(f"Histogram(np_histogram=...): {len(counts)} bins are not accepted; 1 to {MAX_GIVEN_BINS} "
                         "precomputed bins are")
    if not (np.diff(edges) > 0).all() or not np.isfinite(edges).all():
        raise ValueError("Histogram(np_histogram=...): edges must be finite and strictly increasing")
    if (counts < 0).any() or not np.isfinite(counts).all():
        raise ValueError("Histogram(np_histogram=...): counts must be finite and >= 0")
    return counts, edges


def _edges_for(finite: np.ndarray, bins: Any) -> np.ndarray:
    if isinstance(bins, np.ndarray):
        return bins
    low, high = (float(finite.min()), float(finite.max())) if len(finite) else (0.0, 1.0)
    if low == high:  # a margin that stays visible at any magnitude (2**53 - 0.5 == 2**53)
        pad = max(0.5, abs(low) * 2.0**-20)
        low, high = low - pad, high + pad
    if bins == "auto" and np.isfinite(high - low):
        edges = np.histogram_bin_edges(finite, bins="auto", range=(low, high))
        return edges if len(edges) <= MAX_BINS + 1 else _span(low, high, MAX_BINS)
    if bins == "tensorflow":
        return _tensorflow_edges(low, high)
    return _span(low, high, bins if isinstance(bins, int) else MAX_BINS // 8)


def _span(low: float, high: float, n: int) -> np.ndarray:
    """``n + 1`` increasing edges from ``low`` to ``high``, also when ``high - low`` overflows."""
    if np.isfinite(high - low):
        edges = np.linspace(low, high, n + 1)
    else:  # the width overflows float64: interpolate without forming it
        t = np.linspace(0.0, 1.0, n + 1)
        edges = low * (1.0 - t) + high * t
    edges[0], edges[-1] = low, high
    return np.unique(edges)


def _tensorflow_edges(low: float, high: float) -> np.ndarray:
    """TensorBoard's default buckets: +/- 1e-12 * 1.1**k, trimmed to the data's range."""
    positive = 1e-12 * 1.1 ** np.arange(0, 774)
    positive = positive[positive < 1e20]
    edges = np.concatenate([-positive[::-1], [0.0], positive])
    inside = edges[(edges > low) & (edges < high)]
    edges = np.unique(np.concatenate([[low], inside, [high]]))
    if len(edges) > MAX_BINS + 1:  # merge neighbouring buckets; the outer edges stay exact
        stride = int(np.ceil((len(edges) - 1) / MAX_BINS))
        edges = np.unique(np.concatenate([edges[::stride], [high]]))
    return edges


def _bin_values(values: np.ndarray, bins: Any) -> Encoded:
    """Bin ``values`` (float32 or float64, 1-d) at about the cost of one ``numpy.histogram(values, n)``.

    No pass sorts the data: equal-width bins take numpy's fixed-range path (one pass of
    arithmetic and a ``bincount``), other edges (TensorBoard's buckets, given edges) a
    ``searchsorted`` of the data into the edges. ``min``/``max`` double as the finite check
    (NaN propagates through both), so data without NaN or Inf is never masked or copied.
    """
    low, high = float(values.min()), float(values.max())
    finite = values if np.isfinite(low) and np.isfinite(high) else values[np.isfinite(values)]
    if finite is not values:
        low, high = (float(finite.min()), float(finite.max())) if len(finite) else (0.0, 1.0)
    span_only = len(finite) and not (isinstance(bins, str) and bins == "auto")  # 'auto' looks at the data
    edges = _edges_for(np.array([low, high]) if span_only else finite, bins)
    uniform = _uniform_bins(finite, edges) if isinstance(bins, int) else None
    if uniform is not None:
        counts, edges = uniform
        underflow = overflow = 0
    else:
        counts, underflow, overflow = _counts(finite, edges)
    total, total_squares = _sums(finite)
    nonfinite_count = len(values) - len(finite)
    nan = int(np.isnan(values).sum()) if nonfinite_count else 0
    posinf = int(np.isposinf(values).sum()) if nonfinite_count else 0
    stats = {"count": len(finite), "underflow": underflow, "overflow": overflow, "nan": nan,
             "posinf": posinf, "neginf": nonfinite_count - nan - posinf,
             "min": low if len(finite) else None, "max": high if len(finite) else None,
             "sum": total, "sum_squares": total_squares}
    return Encoded(Histogram.KIND, stats, arrays={"edges": np.asarray(edges, np.float64),
                                                  "counts": counts.astype(np.float64)})


def _uniform_bins(finite: np.ndarray, edges: np.ndarray) -> tuple[np.ndarray, np.ndarray] | None:
    """Equal-width counts in the data's own precision (float32 data gets float32 edges, as
    ``numpy.histogram`` gives it); None where that range would overflow."""
    kind = finite.dtype.type
    low, high = kind(edges[0]), kind(edges[-1])
    bins = len(edges) - 1
    with np.errstate(over="ignore", invalid="ignore"):
        if not (len(finite) and low < high and np.isfinite(high - low)):
            return None
        try:
            if bins <= MAX_EQUAL_BINS:  # the edges span the data: _bin_values made them from its min and max
                counts, used = equal_width_counts(finite, low, high, bins)
            else:
                counts, used = np.histogram(finite, bins=bins, range=(low, high))
        except ValueError:  # the data's precision cannot make that many distinct edges
            return None
    return counts, used.astype(np.float64)


def _counts(finite: np.ndarray, edges: np.ndarray) -> tuple[np.ndarray, int, int]:
    """Counts per bin of any increasing edges (the last bin closed, as numpy's), and the values below
    and above them: a ``searchsorted`` of the data into the edges, never a sort of the data."""
    bins = len(edges) - 1
    index = np.searchsorted(edges, finite, side="right") - 1
    index[finite == edges[-1]] = bins - 1
    underflow = int(np.count_nonzero(index < 0))
    overflow = int(np.count_nonzero(index >= bins))
    if underflow or overflow:
        index = index[(index >= 0) & (index < bins)]
    return np.bincount(index, minlength=bins)[:bins], underflow, overflow


def _sums(finite: np.ndarray) -> tuple[float, float]:
    """The sum and the sum of squares, accumulated in float64 (no float64 copy of float32 data)."""
    return moments(finite)


def _is_cuda_tensor(values: Any) -> bool:
    return type(values).__module__.split(".", 1)[0] == "torch" and bool(getattr(values, "is_cuda", False))


def _bin_on_device(tensor: Any, bins: Any) -> dict[str, Any]:
    """Bin a CUDA tensor with torch on its device; only counts and a few numbers come back."""
    torch = sys.modules["torch"]
    flat = tensor.detach().reshape(-1).double()
    if flat.numel() == 0:
        raise ValueError("Histogram(): values is empty; a histogram needs at least one value")
    finite = flat[torch.isfinite(flat)]
    nonfinite = flat[~torch.isfinite(flat)]
    low, high = (float(finite.min()), float(finite.max())) if finite.numel() else (0.0, 1.0)
    edges = _edges_for(np.array([low, high]), bins if not isinstance(bins, str) else MAX_BINS // 8)
    edge_t = torch.as_tensor(edges, device=flat.device, dtype=flat.dtype)
    index = torch.bucketize(finite, edge_t[1:-1], right=True)
    counts = torch.bincount(index, minlength=len(edges) - 1).cpu().numpy().astype(np.float64)
    return {"edges": edges, "counts": counts, "count": int(finite.numel()), "underflow": 0, "overflow": 0,
            "nan": int(torch.isnan(nonfinite).sum()), "posinf": int((nonfinite == float("inf")).sum()),
            "neginf": int((nonfinite == float("-inf")).sum()), "min": low if finite.numel() else None,
            "max": high if finite.numel() else None, "sum": float(finite.sum()),
            "sum_squares": float((finite * finite).sum())}
