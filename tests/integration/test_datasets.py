"""Local loaders: parsing, checksums and the errors a user sees. Generated files only."""

import gzip

import numpy as np
import pytest

from skae import datasets
from skae.datasets import load_fashion_mnist, load_mnist


def _idx(array):
    array = np.asarray(array, dtype=np.uint8)
    header = bytes([0, 0, 8, array.ndim]) + b"".join(int(n).to_bytes(4, "big") for n in array.shape)
    return header + array.tobytes()


def _write(folder, stem, array, compress=True):
    folder.mkdir(parents=True, exist_ok=True)
    raw = _idx(array)
    if compress:
        (folder / (stem + ".gz")).write_bytes(gzip.compress(raw))
    else:
        (folder / stem).write_bytes(raw)


@pytest.fixture
def tiny_mnist(tmp_path):
    rng = np.random.default_rng(0)
    folder = tmp_path / "mnist"
    images = {"train": rng.integers(0, 256, (5, 28, 28)), "test": rng.integers(0, 256, (3, 28, 28))}
    labels = {"train": np.arange(5), "test": np.array([7, 8, 9])}
    for split, (image_stem, label_stem) in datasets._FILES.items():
        _write(folder, image_stem, images[split])
        _write(folder, label_stem, labels[split], compress=False)
    return tmp_path, images, labels


def test_files_are_parsed_and_scaled(tiny_mnist):
    root, images, labels = tiny_mnist
    X, y = load_mnist(root, verify=False)
    assert X.shape == (5, 784) and X.dtype == np.float32
    np.testing.assert_allclose(X, images["train"].reshape(5, -1) / 255.0, rtol=1e-6)
    np.testing.assert_array_equal(y, labels["train"])


def test_images_and_splits(tiny_mnist):
    root, _, _ = tiny_mnist
    X, y = load_mnist(root / "mnist", split="test", images=True, verify=False)
    assert X.shape == (3, 28, 28) and y.tolist() == [7, 8, 9]
    X_all, y_all = load_mnist(root, split="all", verify=False)
    assert len(X_all) == 8 and y_all.tolist() == [0, 1, 2, 3, 4, 7, 8, 9]


def test_the_environment_variable_is_the_default_folder(tiny_mnist, monkeypatch):
    root, _, _ = tiny_mnist
    monkeypatch.setenv("SKAE_DATA", str(root))
    assert load_mnist(split="test", verify=False)[0].shape == (3, 784)


def test_files_that_are_not_the_release_are_refused(tiny_mnist):
    root, _, _ = tiny_mnist
    with pytest.raises(ValueError, match=r"is corrupted or not the published release: .*SHA-256"):
        load_mnist(root)


def test_missing_files_say_where_they_were_looked_for(tmp_path):
    with pytest.raises(FileNotFoundError, match=r"train-images-idx3-ubyte.gz .* looked in .*mnist"):
        load_mnist(tmp_path)
    with pytest.raises(FileNotFoundError, match=r"fashion-mnist.*looked in"):
        load_fashion_mnist(tmp_path)


def test_no_folder_at_all_is_a_clear_error(monkeypatch):
    monkeypatch.delenv("SKAE_DATA", raising=False)
    with pytest.raises(FileNotFoundError, match=r"pass path=\.\.\. or set the SKAE_DATA"):
        load_mnist()


def test_truncated_and_broken_files_are_refused(tiny_mnist):
    root, _, _ = tiny_mnist
    broken = root / "mnist" / "train-images-idx3-ubyte.gz"
    raw = gzip.decompress(broken.read_bytes())
    broken.write_bytes(gzip.compress(raw[:-10]))
    with pytest.raises(ValueError, match="but its header announces"):
        load_mnist(root, verify=False)
    broken.write_bytes(b"not gzip at all")
    with pytest.raises(ValueError, match="is not a readable gzip file"):
        load_mnist(root, verify=False)


def test_mismatched_labels_are_refused(tiny_mnist):
    root, _, _ = tiny_mnist
    _write(root / "mnist", "train-labels-idx1-ubyte", np.arange(4), compress=False)
    with pytest.raises(ValueError, match="5 train images but 4 train labels"):
        load_mnist(root, verify=False)


def test_bad_split_is_refused(tiny_mnist):
    with pytest.raises(ValueError, match="split must be"):
        load_mnist(tiny_mnist[0], split="validation", verify=False)
