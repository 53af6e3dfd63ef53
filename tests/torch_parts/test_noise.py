"""The pure torch corruptions used by denoising autoencoders."""

import pytest
import torch

from skae.noise import Corruption


def _gen(seed=0):
    return torch.Generator().manual_seed(seed)


@pytest.fixture
def X():
    return torch.rand(2000, 50, generator=_gen(1))


def test_gaussian_noise_has_the_requested_spread(X):
    noisy = Corruption("gaussian", 0.3)(X, _gen())
    difference = noisy - X
    assert difference.mean().abs() < 0.01
    assert difference.std().item() == pytest.approx(0.3, rel=0.02)


def test_gaussian_noise_can_be_clipped(X):
    noisy = Corruption("gaussian", 2.0, clip=(0.0, 1.0))(X, _gen())
    assert noisy.min() == 0 and noisy.max() == 1


def test_masking_zeroes_the_requested_share(X):
    noisy = Corruption("masking", 0.25)(X, _gen())
    changed = noisy != X
    assert changed.float().mean().item() == pytest.approx(0.25, abs=0.01)
    assert (noisy[changed] == 0).all()


def test_salt_and_pepper_use_each_features_extremes(X):
    low, high = X.amin(dim=0), X.amax(dim=0)
    noisy = Corruption("salt_pepper", 0.2, low=low, high=high)(X, _gen())
    changed = noisy != X
    assert changed.float().mean().item() == pytest.approx(0.2, abs=0.01)
    is_low = noisy == low.expand_as(X)
    is_high = noisy == high.expand_as(X)
    assert (is_low | is_high)[changed].all()
    assert is_low[changed].float().mean().item() == pytest.approx(0.5, abs=0.03)


@pytest.mark.parametrize("kind", ["gaussian", "masking", "salt_pepper"])
def test_corruption_is_seeded_and_leaves_the_input_alone(X, kind):
    corruption = Corruption(kind, 0.3, low=X.amin(0), high=X.amax(0))
    original = X.clone()
    a, b, c = corruption(X, _gen(5)), corruption(X, _gen(5)), corruption(X, _gen(6))
    assert torch.equal(a, b) and not torch.equal(a, c)
    assert torch.equal(X, original)
    assert corruption.__class__(kind, 0.0, low=X.amin(0), high=X.amax(0))(X, _gen()) is X


def test_bad_corruptions_are_refused():
    with pytest.raises(ValueError, match="kind must be one of"):
        Corruption("blur", 0.1)
    with pytest.raises(ValueError, match="salt_pepper noise needs the data's low and high"):
        Corruption("salt_pepper", 0.1)
