"""Training on data larger than memory: ``partial_fit`` over chunks, several passes.

Works for any estimator with ``partial_fit``; one with ``fit_threshold`` gets
its threshold from a uniform sample of the whole stream (:class:`_Reservoir`).
"""

import copy
import itertools
import mmap
import os
import warnings
from numbers import Integral

import numpy as np
from sklearn.utils import check_random_state

from . import _outlier
from ._logging import StreamProgress
from ._validation import _is_polars, as_array_input

__all__ = ["fit_stream"]

_END = object()

CHUNK_BYTES = 64 * 2**20
"""Size of one chunk in float32 when ``chunk_size="auto"``: 64 MiB."""


def fit_stream(estimator, X, *, n_epochs=1, chunk_size="auto", random_state=None):
    """Train an estimator on data too large for memory, chunk by chunk.

    Each pass over the data calls ``estimator.partial_fit`` on successive
    chunks of rows, so only one chunk is in memory at a time; the state of
    the estimator (a skae optimizer's, say) carries over from chunk to chunk
    and from pass to pass. Any estimator with ``partial_fit`` streams:
    scikit-learn's ``IncrementalPCA``, ``MiniBatchKMeans`` or
    ``SGDOneClassSVM`` as well as skae's.

    An estimator that also has a ``fit_threshold`` method (skae's do) takes
    part in a protocol: its chunks are passed as ``partial_fit(chunk,
    threshold=False)``, and after the last pass ``fit_threshold(sample)``
    estimates the outlier threshold ``offset_`` (and the hybrid score's
    statistics) from a uniform random sample of at most 20,000 rows of the
    whole stream, rather than from the last chunk.

    With ``estimator.verbose >= 1``, a line per chunk (its pass, rows and
    training loss) and one per pass report the progress, besides what the
    estimator's own ``partial_fit`` prints.

    The call is a transaction: when a chunk fails (a truncated file, a
    reader that raises, a chunk of another width), the estimator is
    put back as it was before ``fit_stream``, and the error says in which
    pass and at which chunk the stream stopped.

    Parameters
    ----------
    estimator : estimator with ``partial_fit``
        Trained in place. If it is already fitted, training continues from
        its state (the chunks must have its number of features).
    X : array-like, str, path-like, dask array or callable
        The data:

        * an array of shape (n_samples, n_features), including a
          ``numpy.memmap`` (``np.load(path, mmap_mode="r")``) or a
          DataFrame: sliced into chunks of ``chunk_size`` rows; a memmap's
          pages are released after each chunk, so the file does not stay
          resident in memory;
        * the path of a ``.npy`` file: read chunk by chunk from disk;
        * a dask array: each chunk is computed in turn (by default the
          array's own row chunks);
        * a callable returning an iterable of chunks, called once per pass
          (for readers and generators that can not be restarted).
    n_epochs : int, default=1
        Passes over the data.
    chunk_size : int or "auto", default="auto"
        Rows per chunk. ``"auto"`` takes 64 MiB of float32 per chunk (a dask
        array's own row chunks). Ignored for a callable.
    random_state : int, RandomState instance or None, default=None
        Seeds the sample of rows given to ``fit_threshold``. None takes the
        estimator's ``random_state`` (if it has one), so that an estimator
        with an int ``random_state`` streams deterministically.

    Returns
    -------
    estimator : estimator
        The fitted estimator.

    See Also
    --------
    skae.Autoencoder.partial_fit : Train one epoch on one chunk.
    skae.Autoencoder.fit_threshold : Set the threshold from a sample.

    Notes
    -----
    For a skae estimator every ``partial_fit`` call is one epoch over its
    chunk; after ``fit_stream``, ``n_iter_`` counts the passes over the
    stream (added to the epochs of an earlier fit) and ``loss_curve_`` has
    one entry per pass, the mean training loss of its chunks weighted by
    their rows.

    A KeyboardInterrupt (Ctrl-C, or a callback raising it) while a chunk is
    read or trained on stops the stream: a skae estimator keeps the training
    of the chunks completed before it, gets its threshold from a sample of
    the first pass (of the rows seen, if that is the one interrupted), counts
    the interrupted pass in ``n_iter_``, and a warning says where the
    stream stopped. An interruption during the first chunk, or while the
    final threshold is computed, puts the estimator back as it was and
    propagates. With the same
    number of optimizer steps, training on chunks in order reaches about the
    reconstruction error of a ``fit`` on all the data (the batches of a
    ``fit`` are drawn from the whole data set, a chunk's only from the
    chunk); shuffle the rows on disk if they are ordered (by time, by
    class).

    Examples
    --------
    >>> import numpy as np
    >>> from skae import Autoencoder, fit_stream
    >>> X = np.random.default_rng(0).normal(size=(5000, 10)).astype(np.float32)
    >>> ae = fit_stream(Autoencoder(3, random_state=0), X, n_epochs=2, chunk_size=1000)
    >>> ae.n_iter_
    2

    Any estimator with ``partial_fit`` streams the same way:

    >>> from sklearn.decomposition import IncrementalPCA
    >>> fit_stream(IncrementalPCA(3), X, chunk_size=1000).n_components_
    3
    """
    if not hasattr(estimator, "partial_fit"):
        raise TypeError(
            f"fit_stream trains an estimator with a partial_fit method; got "
            f"{type(estimator).__name__}."
        )
    if isinstance(n_epochs, bool) or not isinstance(n_epochs, Integral) or n_epochs < 1:
        raise ValueError(f"n_epochs must be an integer >= 1; got {n_epochs!r}.")
    if chunk_size != "auto" and (
        isinstance(chunk_size, bool) or not isinstance(chunk_size, Integral) or chunk_size < 1
    ):
        raise ValueError(f"chunk_size must be 'auto' or an integer >= 1; got {chunk_size!r}.")
    source = _source(X, chunk_size)
    thresholds = hasattr(estimator, "fit_threshold")
    if random_state is None:
        random_state = getattr(estimator, "random_state", None)
    seed = check_random_state(random_state).randint(np.iinfo(np.int32).max)
    saved = copy.deepcopy(vars(estimator))
    passes = _Passes(estimator) if thresholds else None
    progress = {"pass": 0, "chunk": 0}
    report = StreamProgress(n_epochs, getattr(estimator, "verbose", 0))
    interrupted = None
    try:
        # the first pass samples the rows: every pass sees them, and an interrupted later
        # pass still has a whole pass's sample
        reservoir = _Reservoir(_outlier.MAX_STATS_SAMPLES, seed) if thresholds else None
        for epoch in range(n_epochs):
            progress.update({"pass": epoch + 1, "chunk": 0})
            n_chunks = n_rows = 0
            chunks = iter(source())
            while True:
                progress["chunk"] += 1
                try:
                    chunk = next(chunks, _END)
                    if chunk is _END:
                        break
                    if len(chunk) == 0:
                        continue
                    if thresholds:
                        estimator.partial_fit(chunk, threshold=False)
                    else:
                        estimator.partial_fit(chunk)
                except KeyboardInterrupt:
                    # while reading a chunk or training on it: the chunks before it stay
                    if passes is None or passes.n_chunks == 0:
                        raise
                    interrupted = dict(progress)
                    break
                n_chunks += 1
                n_rows += len(chunk)
                curve = getattr(estimator, "loss_curve_", None)
                loss = curve[-1] if curve else None
                report.chunk(epoch, progress["chunk"], len(chunk), n_rows, loss)
                if thresholds:
                    passes.add(len(chunk))
                    if epoch == 0:
                        reservoir.add(chunk)
                _release(chunk)
            if interrupted:
                break
            if n_chunks == 0:
                if epoch == 0:
                    raise ValueError("X holds no rows: fit_stream got no chunk with any sample.")
                raise ValueError(
                    f"X's source gave no chunk on pass {epoch + 1}, after chunks on pass "
                    f"{epoch}: a callable X must return a new iterable of chunks on every "
                    "call (for example lambda: read_chunks(path)), not the same, "
                    "already exhausted, iterator."
                )
            report.end_pass(epoch, n_chunks, n_rows)
            if thresholds:
                passes.end_pass()
        progress["chunk"] = None
        if thresholds:
            if interrupted:
                passes.end_pass()
            estimator.fit_threshold(reservoir.rows())
            passes.commit()
    except BaseException as error:
        vars(estimator).clear()
        vars(estimator).update(saved)
        if hasattr(error, "add_note"):
            where = (
                "while setting the threshold from the stream's sample"
                if progress["chunk"] is None
                else f"in pass {progress['pass']} of {n_epochs}, at chunk {progress['chunk']}"
            )
            error.add_note(
                f"fit_stream stopped {where}; {type(estimator).__name__} was put back as "
                "it was before fit_stream."
            )
        raise
    if interrupted:
        warnings.warn(
            f"fit_stream was interrupted (KeyboardInterrupt, from Ctrl-C or a callback) in "
            f"pass {interrupted['pass']} of {n_epochs}, at chunk {interrupted['chunk']}. "
            f"{type(estimator).__name__} keeps the training of the {passes.n_chunks} complete "
            "chunk(s) before it, and its threshold was set from a sample of the rows seen.",
            UserWarning,
            stacklevel=2,
        )
    return estimator


class _Passes:
    """Turns a skae estimator's per-chunk ``n_iter_`` and ``loss_curve_`` into per-pass ones.

    Each ``partial_fit`` call adds one entry; after the stream, ``n_iter_``
    is the number of passes (begun) added to what it was before, and
    ``loss_curve_`` gets one entry per pass, the mean training loss of its
    chunks weighted by their rows.
    """

    def __init__(self, estimator):
        self.estimator = estimator
        fitted = hasattr(estimator, "n_iter_")
        self.n_iter = estimator.n_iter_ if fitted else 0
        self.curve = list(estimator.loss_curve_) if fitted else []
        self.n_chunks = 0
        self._rows = []
        self._losses = []

    def add(self, n_rows):
        self.n_chunks += 1
        self._rows.append(n_rows)
        self._losses.append(self.estimator.loss_curve_[-1])

    def end_pass(self):
        if self._rows:
            self.n_iter += 1
            self.curve.append(float(np.average(self._losses, weights=self._rows)))
        self._rows, self._losses = [], []

    def commit(self):
        self.estimator.n_iter_ = self.n_iter
        self.estimator.loss_curve_ = self.curve


class _Reservoir:
    """A uniform sample without replacement of at most ``size`` rows of a stream.

    Each row gets a random key; the rows with the ``size`` smallest keys are
    kept, which is a uniform sample of every row seen.
    """

    def __init__(self, size, seed):
        self.size = size
        self.rng = np.random.default_rng(seed)
        self.keys = np.empty(0)
        self.kept = None

    def add(self, chunk):
        keys = self.rng.random(len(chunk))
        merged = np.concatenate([self.keys, keys])
        if len(merged) > self.size:
            keep = np.sort(np.argpartition(merged, self.size - 1)[: self.size])
        else:
            keep = np.arange(len(merged))
        n_old = len(self.keys)
        new = keep[keep >= n_old] - n_old
        old = keep[keep < n_old]
        if len(new):
            rows = _take(chunk, new)
            self.kept = rows if self.kept is None else _concatenate(_take(self.kept, old), rows)
        else:
            self.kept = _take(self.kept, old)
        self.keys = merged[keep]

    def rows(self):
        return self.kept


def _take(chunk, positions):
    if hasattr(chunk, "iloc"):
        return chunk.iloc[positions]
    if _is_polars(chunk):
        return chunk[positions.tolist()]
    return np.asarray(as_array_input(chunk))[positions]


def _concatenate(kept, rows):
    if hasattr(kept, "iloc"):
        import pandas as pd

        return pd.concat([kept, rows])
    if _is_polars(kept):
        import polars as pl

        return pl.concat([kept, rows])
    return np.concatenate([kept, np.asarray(rows)])


def _source(X, chunk_size):
    """A function returning one pass's iterator of chunks."""
    if callable(X) and not hasattr(X, "shape"):
        return X
    if isinstance(X, str | os.PathLike):
        return lambda: _npy_chunks(os.fspath(X), chunk_size)
    if isinstance(X, list | tuple):
        X = np.asarray(X)
    shape = getattr(X, "shape", None)
    if shape is None or len(shape) < 2:
        raise ValueError(
            "X must be a 2-D array-like (or images for an image estimator), the path of a "
            f".npy file, a dask array or a callable returning chunks; got {type(X).__name__}"
            + ("" if shape is None else f" of shape {tuple(shape)}")
            + "."
        )
    n_samples = shape[0]
    if hasattr(X, "compute") and hasattr(X, "chunks"):
        if chunk_size == "auto":
            bounds = np.cumsum((0, *X.chunks[0]))
        else:
            bounds = _bounds(n_samples, chunk_size)
        return lambda: (X[a:b].compute() for a, b in itertools.pairwise(bounds))
    if chunk_size == "auto":
        chunk_size = _auto_rows(int(np.prod(shape[1:])))
    bounds = _bounds(n_samples, chunk_size)
    if hasattr(X, "iloc"):
        return lambda: (X.iloc[a:b] for a, b in itertools.pairwise(bounds))
    return lambda: (X[a:b] for a, b in itertools.pairwise(bounds))


def _auto_rows(n_features):
    return max(1, CHUNK_BYTES // (4 * max(1, n_features)))


def _bounds(n_samples, chunk_size):
    return np.append(np.arange(0, n_samples, chunk_size), n_samples)


def _npy_chunks(path, chunk_size):
    """Read a .npy file's rows chunk by chunk, without mapping it into memory."""
    with open(path, "rb") as file:
        version = np.lib.format.read_magic(file)
        if version == (1, 0):
            shape, fortran_order, dtype = np.lib.format.read_array_header_1_0(file)
        else:
            shape, fortran_order, dtype = np.lib.format.read_array_header_2_0(file)
        if fortran_order or len(shape) < 2 or dtype.hasobject:
            raise ValueError(
                f"{path} must hold a C-ordered numeric array of at least 2 dimensions; it "
                f"holds shape {shape}, dtype {dtype}"
                + (", Fortran order" if fortran_order else "")
                + "."
            )
        row_shape = shape[1:]
        row_values = int(np.prod(row_shape))
        rows = _auto_rows(row_values) if chunk_size == "auto" else chunk_size
        for start in range(0, shape[0], rows):
            n = min(rows, shape[0] - start)
            chunk = np.fromfile(file, dtype=dtype, count=n * row_values)
            if chunk.size != n * row_values:
                raise ValueError(f"{path} ends before its header's {shape[0]} rows.")
            yield chunk.reshape(n, *row_shape)


def _release(chunk):
    """Drop a memory-mapped chunk's pages from this process's resident memory."""
    base = chunk
    while base is not None and not isinstance(base, np.memmap):
        base = getattr(base, "base", None)
    handle = getattr(base, "_mmap", None)
    if isinstance(handle, mmap.mmap) and hasattr(mmap, "MADV_DONTNEED"):
        handle.madvise(mmap.MADV_DONTNEED)
