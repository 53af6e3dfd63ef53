"""The training data path (pure torch): batches sliced from rows already in one tensor.

skorch's default ``DataLoader`` indexes and collates one sample at a time;
for tabular data that already sits in one float32 tensor, slicing whole
batches with one seeded permutation per epoch is several times cheaper.
"""

from typing import NamedTuple

import torch

__all__ = ["FitData", "TensorBatches", "TensorDataset"]


class FitData(NamedTuple):
    """What the estimators hand to skorch: the training rows and the held-out rows.

    An autoencoder's rows are their own targets (``train_targets`` and
    ``valid_targets`` None); a paired model's targets are rows of their own,
    aligned with the inputs.
    """

    train: torch.Tensor
    valid: torch.Tensor | None = None
    train_targets: torch.Tensor | None = None
    valid_targets: torch.Tensor | None = None


class TensorDataset(torch.utils.data.Dataset):
    """A dataset over the rows of one tensor, and of their targets (None: the rows themselves)."""

    def __init__(self, X, Y=None):
        self.X = X
        self.Y = Y

    def __len__(self):
        return len(self.X)

    def __getitem__(self, i):
        return self.X[i], (self.X if self.Y is None else self.Y)[i]


class TensorBatches:
    """Mini-batches of rows of ``X``, in a fresh seeded order on every pass.

    Parameters
    ----------
    X : torch.Tensor
        All rows, already converted once.
    batch_size : int
    Y : torch.Tensor or None, default=None
        The targets of the rows, sliced alongside them; None for an
        autoencoder, whose rows are their own targets.
    shuffle : bool
        Whether each pass visits the rows in a new random order.
    generator : torch.Generator or None
        Source of the orders; required when ``shuffle`` is True.
    shard : tuple of (int, int) or None
        ``(rank, world_size)`` for data-parallel training: every process
        draws the same order, and at each step process ``rank`` takes the
        ``rank``-th of ``world_size`` consecutive batches, so one step of all
        the processes covers the rows of one batch of ``world_size *
        batch_size`` rows. Every batch is full (the first rows of the order
        are taken again to fill the last ones), so every process records
        the same batch sizes and losses and its stopping rule decides as the
        others' do.

    Notes
    -----
    Each batch is ``(Xb, Yb)``: skorch unpacks it as ``(X, y)``. Without
    ``Y``, ``Yb`` is None and the autoencoder's target is ``Xb`` itself.
    The last batch is kept even when it is short, so fewer rows than
    ``batch_size`` still train.
    """

    def __init__(self, X, batch_size, *, Y=None, shuffle=False, generator=None, shard=None):
        self.X = X
        self.Y = Y
        self.batch_size = batch_size
        self.shuffle = shuffle
        self.generator = generator
        self.shard = shard

    def __len__(self):
        if self.shard is None:
            return -(-len(self.X) // self.batch_size)
        return -(-len(self.X) // (self.batch_size * self.shard[1]))

    def __iter__(self):
        n_samples, batch_size = len(self.X), self.batch_size
        if self.shard is not None:
            yield from self._iter_shard()
            return
        if not self.shuffle:
            for start in range(0, n_samples, batch_size):
                yield self._batch(slice(start, start + batch_size))
            return
        order = torch.randperm(n_samples, generator=self.generator)
        for start in range(0, n_samples, batch_size):
            yield self._batch(order[start : start + batch_size])

    def _batch(self, rows):
        """The rows ``rows`` (a slice or a tensor of positions) and their targets."""
        if isinstance(rows, slice):
            return self.X[rows], None if self.Y is None else self.Y[rows]
        return self.X.index_select(0, rows), None if self.Y is None else self.Y.index_select(
            0, rows
        )

    def _iter_shard(self):
        rank, world = self.shard
        n_samples, batch_size = len(self.X), self.batch_size
        if self.shuffle:
            order = torch.randperm(n_samples, generator=self.generator)
        else:
            order = torch.arange(n_samples)
        needed = len(self) * batch_size * world
        if needed > n_samples:
            order = order.repeat(-(-needed // n_samples))[:needed]
        for step in range(len(self)):
            start = (step * world + rank) * batch_size
            yield self._batch(order[start : start + batch_size])
