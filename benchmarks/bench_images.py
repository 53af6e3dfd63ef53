"""Image reconstruction: ConvAutoencoder and Autoencoder against PCA on MNIST and Fashion-MNIST.

For each data set and code size, fits PCA, the dense ``Autoencoder`` and the
``ConvAutoencoder`` on the 60,000 training images and reports on the 10,000
test images:

* MSE, the mean squared error per pixel (pixels in [0, 1]);
* BCE, the mean binary cross-entropy per pixel between the reconstruction
  (clipped to [1e-7, 1 - 1e-7]) and the true pixel, as Keras reports it;
* PSNR in dB, ``10 log10(1 / MSE)``;
* the fit time on this machine.

Published anchors, printed beside: PCA MSE 0.0168 at 32 and 0.0091 at 64;
Keras' convolutional tutorial BCE 0.062; the BCE of MNIST itself (its floor)
0.0581.

    python benchmarks/bench_images.py [--data ../shared/data] [--datasets mnist fashion-mnist]
        [--codes 2 16 32 64] [--models pca dense conv] [--epochs-dense 30] [--epochs-conv 10]
        [--device cpu|cuda|auto]

The data folder defaults to ``SKAE_DATA``, else ``../shared/data`` beside the
project; the script says so and exits with status 2 when it is absent.
"""

import argparse
import os
import sys
import time
import warnings
from pathlib import Path

import numpy as np
import torch
from sklearn.decomposition import PCA
from sklearn.exceptions import ConvergenceWarning

from skae import Autoencoder, ConvAutoencoder
from skae.datasets import DATA_ENV, load_fashion_mnist, load_mnist

LOADERS = {"mnist": load_mnist, "fashion-mnist": load_fashion_mnist}
ANCHORS = {
    ("mnist", "pca", 32): "published PCA MSE 0.0168",
    ("mnist", "pca", 64): "published PCA MSE 0.0091",
    ("mnist", "conv", None): "Keras conv tutorial BCE 0.062; MNIST's BCE floor 0.0581",
}


def default_data():
    if os.environ.get(DATA_ENV):
        return Path(os.environ[DATA_ENV])
    return Path(__file__).resolve().parents[2] / "shared" / "data"


def metrics(reconstruction, X):
    mse = float(np.mean((reconstruction - X) ** 2))
    p = np.clip(reconstruction, 1e-7, 1 - 1e-7)
    bce = float(-np.mean(X * np.log(p) + (1 - X) * np.log(1 - p)))
    return mse, bce, 10 * np.log10(1 / mse)


def make_model(kind, code, args):
    if kind == "pca":
        return PCA(n_components=code, random_state=0)
    if kind == "dense":
        return Autoencoder(
            code,
            hidden_layer_sizes=(512, 256),
            max_iter=args.epochs_dense,
            device=args.device,
            random_state=0,
        )
    return ConvAutoencoder(
        code,
        image_shape=(1, 28, 28),
        max_iter=args.epochs_conv,
        batch_size=128,
        device=args.device,
        random_state=0,
    )


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=None, help=f"default: ${DATA_ENV}")
    parser.add_argument("--datasets", nargs="+", default=list(LOADERS), choices=list(LOADERS))
    parser.add_argument("--codes", nargs="+", type=int, default=[2, 16, 32, 64])
    parser.add_argument("--models", nargs="+", default=["pca", "dense", "conv"])
    parser.add_argument("--epochs-dense", type=int, default=30)
    parser.add_argument("--epochs-conv", type=int, default=10)
    parser.add_argument("--device", default="cpu", choices=["cpu", "cuda", "auto"])
    args = parser.parse_args(argv)
    data = args.data or default_data()
    if not data.is_dir():
        print(f"Data folder {data} not found: pass --data or set {DATA_ENV}.")
        return 2

    print(
        f"test-set reconstruction; dense (512, 256) x {args.epochs_dense} epochs, "
        f"conv (32, 64) x {args.epochs_conv} epochs; device {args.device}, "
        f"{torch.get_num_threads()} threads"
    )
    header = f"{'data':<14}{'model':<7}{'code':>5}{'MSE':>9}{'BCE':>9}{'PSNR':>7}{'fit':>9}"
    print(header)
    print("-" * len(header))
    for name in args.datasets:
        X_train, _ = LOADERS[name](data, split="train")
        X_test, _ = LOADERS[name](data, split="test")
        for code in args.codes:
            for kind in args.models:
                model = make_model(kind, code, args)
                start = time.perf_counter()
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore", ConvergenceWarning)
                    model.fit(X_train)
                fit_time = time.perf_counter() - start
                reconstruction = model.inverse_transform(model.transform(X_test))
                mse, bce, psnr = metrics(reconstruction, X_test)
                anchor = ANCHORS.get((name, kind, code)) or ANCHORS.get((name, kind, None), "")
                print(
                    f"{name:<14}{kind:<7}{code:>5}{mse:>9.5f}{bce:>9.5f}{psnr:>7.2f}"
                    f"{fit_time:>8.1f}s  {anchor}",
                    flush=True,
                )
    return 0


if __name__ == "__main__":
    sys.exit(main())
