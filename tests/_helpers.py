"""What the tests share: the estimator classes, and a check of the global random states."""

import contextlib

import numpy as np
import torch

from skae import (
    Autoencoder,
    ConvAutoencoder,
    DenoisingAutoencoder,
    SparseAutoencoder,
    VariationalAutoencoder,
)

VARIANTS = [
    Autoencoder,
    SparseAutoencoder,
    DenoisingAutoencoder,
    ConvAutoencoder,
    VariationalAutoencoder,
]


@contextlib.contextmanager
def global_random_state_untouched():
    """Fail if the block reads or writes numpy's or torch's global random state."""
    numpy_state = np.random.get_state()  # noqa: NPY002 (the global state is what is checked)
    torch_state = torch.get_rng_state()
    yield
    after = np.random.get_state()  # noqa: NPY002
    assert after[0] == numpy_state[0] and np.array_equal(after[1], numpy_state[1])
    assert after[2:] == numpy_state[2:]
    assert torch.equal(torch.get_rng_state(), torch_state)
