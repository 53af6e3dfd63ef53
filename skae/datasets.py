"""Loaders for real image data sets kept in local files, verified by checksum.

skae never downloads data. Point a loader at the folder holding the files,
through its ``path`` argument or the ``SKAE_DATA`` environment variable (a
folder with ``mnist/`` and ``fashion-mnist/`` inside, such as
``../shared/data`` next to the project). Each file's content is checked
against the published release by SHA-256 of its decompressed bytes, so a
re-compressed copy is accepted and a truncated or altered one is refused.
"""

import gzip
import hashlib
import os
from pathlib import Path

import numpy as np

__all__ = ["load_fashion_mnist", "load_mnist"]

DATA_ENV = "SKAE_DATA"

_FILES = {
    "train": ("train-images-idx3-ubyte", "train-labels-idx1-ubyte"),
    "test": ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"),
}

# SHA-256 of the decompressed idx files of each release.
_CHECKSUMS = {
    "mnist": {
        "train-images-idx3-ubyte": (
            "ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db"
        ),
        "train-labels-idx1-ubyte": (
            "65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5"
        ),
        "t10k-images-idx3-ubyte": (
            "0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7"
        ),
        "t10k-labels-idx1-ubyte": (
            "ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2"
        ),
    },
    "fashion-mnist": {
        "train-images-idx3-ubyte": (
            "c59f468a2f672dc815687fe0f83887768d799fd8a3f3276145d20f83aa44d888"
        ),
        "train-labels-idx1-ubyte": (
            "bad3541b69d912435c50bb6ba87bec294ff4f6a2e1246121d8633921760443d9"
        ),
        "t10k-images-idx3-ubyte": (
            "5b4141f0afbad91edebe8549f8fcffe087ea10ca49f1dbef5c9a5cd8815ce37b"
        ),
        "t10k-labels-idx1-ubyte": (
            "0402a96d92fd2663957122ceb108a494c5af83dab82d92729df917d7dec38c34"
        ),
    },
}

_MAGIC = {1: 2049, 3: 2051}  # idx magic numbers of labels (1-D) and images (3-D)


def _candidate_folders(name, path):
    if path is not None:
        roots = [Path(path)]
    elif os.environ.get(DATA_ENV):
        roots = [Path(os.environ[DATA_ENV])]
    else:
        raise FileNotFoundError(
            f"No folder was given for {name}: pass path=... or set the {DATA_ENV} "
            f"environment variable to a folder that holds {name}/ (for example "
            "../shared/data)."
        )
    return [folder for root in roots for folder in (root, root / name)]


def _find(stem, folders, name):
    for folder in folders:
        for candidate in (folder / (stem + ".gz"), folder / stem):
            if candidate.is_file():
                return candidate
    looked = ", ".join(str(f) for f in folders)
    raise FileNotFoundError(
        f"{name}: {stem}.gz (or {stem}) was not found; looked in {looked}. "
        f"Pass path=... or set {DATA_ENV} to the folder that holds {name}/."
    )


def _read_idx(file, stem, name, verify):
    raw = file.read_bytes()
    if file.suffix == ".gz":
        try:
            raw = gzip.decompress(raw)
        except (OSError, EOFError) as exc:
            raise ValueError(f"{name}: {file} is not a readable gzip file ({exc}).") from None
    if verify:
        digest = hashlib.sha256(raw).hexdigest()
        expected = _CHECKSUMS[name][stem]
        if digest != expected:
            raise ValueError(
                f"{name}: {file} is corrupted or not the published release: its content "
                f"has SHA-256 {digest}, expected {expected}. Replace the file, or pass "
                "verify=False to read it anyway."
            )
    if len(raw) < 8:
        raise ValueError(f"{name}: {file} is too short to be an idx file.")
    magic = int.from_bytes(raw[:4], "big")
    ndim = raw[3]
    if _MAGIC.get(ndim) != magic:
        raise ValueError(f"{name}: {file} does not start with an idx header of uint8 data.")
    shape = tuple(int.from_bytes(raw[4 + 4 * i : 8 + 4 * i], "big") for i in range(ndim))
    data = np.frombuffer(raw, dtype=np.uint8, offset=4 + 4 * ndim)
    if data.size != np.prod(shape):
        raise ValueError(
            f"{name}: {file} holds {data.size} values, but its header announces {shape}."
        )
    return data.reshape(shape)


def _load(name, path, split, images, verify):
    if split not in ("train", "test", "all"):
        raise ValueError(f"split must be 'train', 'test' or 'all', got {split!r}.")
    folders = _candidate_folders(name, path)
    parts = ("train", "test") if split == "all" else (split,)
    X, y = [], []
    for part in parts:
        image_stem, label_stem = _FILES[part]
        pixels = _read_idx(_find(image_stem, folders, name), image_stem, name, verify)
        labels = _read_idx(_find(label_stem, folders, name), label_stem, name, verify)
        if len(pixels) != len(labels):
            raise ValueError(
                f"{name}: {len(pixels)} {part} images but {len(labels)} {part} labels."
            )
        X.append(pixels)
        y.append(labels)
    X = np.concatenate(X).astype(np.float32) / 255.0
    y = np.concatenate(y).astype(np.int64)
    return (X if images else X.reshape(len(X), -1)), y


def load_mnist(path=None, *, split="train", images=False, verify=True):
    """Load MNIST handwritten digits from local idx files.

    Parameters
    ----------
    path : str or path-like, default=None
        Folder holding the four ``*-idx?-ubyte.gz`` files (or uncompressed
        ones), or a folder with an ``mnist/`` subfolder holding them. Defaults
        to the ``SKAE_DATA`` environment variable.
    split : {"train", "test", "all"}, default="train"
        The 60,000 training images, the 10,000 test images, or both (training
        first).
    images : bool, default=False
        Return images of shape ``(n, 28, 28)`` instead of rows of 784 pixels.
    verify : bool, default=True
        Check each file's content against the published release's SHA-256.

    Returns
    -------
    X : ndarray of float32, shape (n, 784) or (n, 28, 28)
        Pixel intensities scaled to [0, 1].
    y : ndarray of int64, shape (n,)
        The digit in each image.

    Raises
    ------
    FileNotFoundError
        When no folder is given or a file is missing; the message lists the
        folders searched.
    ValueError
        When a file is corrupted, truncated or not an idx file.

    Examples
    --------
    >>> from skae.datasets import load_mnist
    >>> X, y = load_mnist("../shared/data", split="test")  # doctest: +SKIP
    >>> X.shape, X.max()  # doctest: +SKIP
    ((10000, 784), 1.0)
    """
    return _load("mnist", path, split, images, verify)


def load_fashion_mnist(path=None, *, split="train", images=False, verify=True):
    """Load Fashion-MNIST clothing images from local idx files.

    Same files, layout and parameters as :func:`load_mnist`, looked for in
    ``path`` or its ``fashion-mnist/`` subfolder. Labels are the ten classes
    (0 T-shirt/top, 1 trouser, 2 pullover, 3 dress, 4 coat, 5 sandal, 6 shirt,
    7 sneaker, 8 bag, 9 ankle boot).

    Parameters
    ----------
    path : str or path-like, default=None
    split : {"train", "test", "all"}, default="train"
    images : bool, default=False
    verify : bool, default=True

    Returns
    -------
    X : ndarray of float32, shape (n, 784) or (n, 28, 28)
    y : ndarray of int64, shape (n,)

    Examples
    --------
    >>> from skae.datasets import load_fashion_mnist
    >>> X, y = load_fashion_mnist("../shared/data", split="test")  # doctest: +SKIP
    """
    return _load("fashion-mnist", path, split, images, verify)
