"""Fixtures of the benchmark scripts' tests: the scripts as modules, a tiny ADBench folder."""

import importlib.util
from pathlib import Path

import numpy as np
import pytest

BENCHMARKS = Path(__file__).resolve().parents[2] / "benchmarks"


def _load(name):
    spec = importlib.util.spec_from_file_location(name, BENCHMARKS / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="session")
def load_script():
    """``load_script(name)`` imports ``benchmarks/<name>.py`` as a module."""
    return _load


@pytest.fixture
def data_folder(tmp_path):
    """A data folder whose ``adbench_classical/99_easy.npz`` holds an easy anomaly set."""
    rng = np.random.default_rng(0)
    # inliers near a plane of 5-D space, anomalies scattered far off it
    inliers = rng.normal(size=(285, 2)) @ rng.normal(size=(2, 5))
    inliers += rng.normal(scale=0.05, size=inliers.shape)
    anomalies = rng.normal(scale=4.0, size=(15, 5))
    folder = tmp_path / "adbench_classical"
    folder.mkdir()
    np.savez(
        folder / "99_easy.npz",
        X=np.concatenate([inliers, anomalies]),
        y=np.r_[np.zeros(285), np.ones(15)],
    )
    return tmp_path
