"""Fixtures and settings for the three layers of tests.

``torch_parts/`` tests the pure torch modules alone (networks, losses, noise,
batches, inference), ``estimators/`` each estimator's behaviour and the common
checks, ``integration/`` skae inside pipelines, Dask, torch.distributed, GPUs,
thread pools, the examples and the benchmarks. ``_helpers.py`` holds the list
of variants and the check that global random states are left alone.
"""

import os
import sys
from pathlib import Path

import numpy as np
import pytest
import torch

sys.path.insert(0, str(Path(__file__).parent))  # _helpers, from every layer

if os.environ.get("PYTEST_XDIST_WORKER"):
    # Two pytest workers share the machine's cores: one torch thread each.
    torch.set_num_threads(1)


@pytest.fixture(autouse=True)
def _seed_global_rngs():
    """Fix the global random states so that any test relying on them is repeatable."""
    np.random.seed(0)  # noqa: NPY002 (the global state is what is being fixed)
    torch.manual_seed(0)


@pytest.fixture(scope="session")
def digits():
    """scikit-learn's bundled 8x8 digits, scaled to [0, 1]."""
    from sklearn.datasets import load_digits

    X, y = load_digits(return_X_y=True)
    return X / 16.0, y


@pytest.fixture(scope="session")
def blobs():
    """120 correlated Gaussian samples of 6 features: small, quick to fit."""
    rng = np.random.default_rng(0)
    return rng.normal(size=(120, 6)) @ rng.normal(size=(6, 6))
