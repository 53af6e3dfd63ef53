"""Training and inference on a CUDA GPU. Skipped on machines without one."""

import pickle

import numpy as np
import pytest
import torch
from _helpers import VARIANTS

from skae import VariationalAutoencoder

pytestmark = pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")


def _images_or_rows(cls, X):
    return X.reshape(-1, 1, 8, 8) if cls.__name__ == "ConvAutoencoder" else X


@pytest.fixture(scope="module")
def X():
    from sklearn.datasets import load_digits

    return (load_digits().data[:400] / 16).astype(np.float32)


def _fit(cls, X, device):
    model = cls(n_components=4, max_iter=3, random_state=0, device=device)
    return model.fit(_images_or_rows(cls, X))


@pytest.mark.parametrize("cls", VARIANTS, ids=lambda c: c.__name__)
def test_fit_and_infer_on_the_gpu_with_numpy_out(cls, X):
    model = _fit(cls, X, "cuda")
    assert next(model.net_.module_.parameters()).is_cuda
    data = _images_or_rows(cls, X)
    codes = model.transform(data)
    assert isinstance(codes, np.ndarray) and codes.dtype == np.float32
    assert codes.shape == (len(X), 4)
    back = model.inverse_transform(codes)
    assert isinstance(back, np.ndarray) and back.shape == data.shape
    scores = model.score_samples(data)
    assert isinstance(scores, np.ndarray) and np.isfinite(scores).all()
    assert set(np.unique(model.predict(data))) <= {-1, 1}


@pytest.mark.parametrize("cls", VARIANTS, ids=lambda c: c.__name__)
def test_gpu_and_cpu_fits_agree_closely(cls, X):
    gpu, cpu = _fit(cls, X, "cuda"), _fit(cls, X, "cpu")
    data = _images_or_rows(cls, X)
    np.testing.assert_allclose(gpu.transform(data), cpu.transform(data), rtol=1e-2, atol=1e-3)


def test_auto_takes_the_gpu(X):
    model = _fit(VariationalAutoencoder, X, "auto")
    assert str(model.net_.device).startswith("cuda")


def test_a_gpu_model_loads_on_a_cpu_only_machine(X, monkeypatch):
    model = _fit(VariationalAutoencoder, X, "cuda")
    expected = model.transform(X)
    payload = pickle.dumps(model)
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    with pytest.warns(UserWarning, match="loaded on the CPU"):
        loaded = pickle.loads(payload)
    assert not next(loaded.net_.module_.parameters()).is_cuda
    np.testing.assert_allclose(loaded.transform(X), expected, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("noise", ["gaussian", "masking", "salt_pepper"])
@pytest.mark.parametrize("name", ["DenoisingAutoencoder", "ConvAutoencoder"])
def test_noise_is_drawn_on_the_gpu_from_the_nets_generator(name, noise, X):
    # the training rows stay on the CPU; each batch moves to the GPU before it is corrupted
    cls = next(cls for cls in VARIANTS if cls.__name__ == name)
    params = dict(n_components=4, max_iter=2, noise=noise, noise_level=0.2, random_state=0)
    gpu = cls(**params, device="cuda").fit(_images_or_rows(cls, X))
    again = cls(**params, device="cuda").fit(_images_or_rows(cls, X))
    assert gpu.net_.noise_generator_.device.type == "cuda"
    # the same seeded noise twice (cuDNN's kernels may still round differently)
    np.testing.assert_allclose(
        gpu.transform(_images_or_rows(cls, X)),
        again.transform(_images_or_rows(cls, X)),
        rtol=1e-3,
        atol=1e-4,
    )


def test_n_threads_leaves_torchs_setting_alone_on_the_gpu(X):
    from skorch.callbacks import Callback

    from skae import Autoencoder

    class Recorder(Callback):
        def on_train_begin(self, net, **kwargs):
            self.threads = torch.get_num_threads()

    before = torch.get_num_threads()
    model = Autoencoder(4, max_iter=2, n_threads=1, device="cuda", callbacks=[("rec", Recorder())])
    model.set_params(random_state=0).fit(X)
    assert dict(model.net_.callbacks_)["rec"].threads == before
    # the same training on the GPU as on the CPU
    cpu = Autoencoder(4, max_iter=2, alpha=10.0, device="cpu", random_state=0).fit(X)
    gpu = Autoencoder(4, max_iter=2, alpha=10.0, device="cuda", random_state=0).fit(X)
    np.testing.assert_allclose(gpu.transform(X), cpu.transform(X), atol=1e-4)
