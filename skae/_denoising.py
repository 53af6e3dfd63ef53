"""The denoising autoencoder: a dense autoencoder trained on corrupted inputs."""

from ._base import BaseAutoencoder
from ._docs import fill_doc
from ._mixins import DenoisingMixin, DenseNetworkMixin

__all__ = ["DenoisingAutoencoder"]


@fill_doc
class DenoisingAutoencoder(DenoisingMixin, DenseNetworkMixin, BaseAutoencoder):
    """Dense autoencoder trained to reconstruct clean inputs from corrupted ones.

    During training only, each batch is corrupted before it enters the
    network, and the loss compares the reconstruction with the clean batch.
    The noise comes from the estimator's own generator, seeded by
    ``random_state``, so a fit stays reproducible. A fitted model is
    deterministic: :meth:`transform`, :meth:`score_samples` and
    :meth:`denoise` apply no noise. ``loss_curve_`` is the loss on the
    corrupted training batches; with ``early_stopping``, the validation loss
    is measured on clean inputs.

    Read more in the :doc:`user guide </user_guide>`.

    Parameters
    ----------
    n_components : int or "auto", default="auto"
        Size of the code.

    noise : {"gaussian", "masking", "salt_pepper"} or None, default="gaussian"
        ``"gaussian"``: additive normal noise of standard deviation
        ``noise_level``, clipped to [0, 1] when the loss is ``"bce"``.
        ``"masking"``: each value is set to 0 with probability
        ``noise_level``. ``"salt_pepper"``: each value is set, with
        probability ``noise_level``, to its feature's minimum or maximum over
        the training data (half the time each). None trains without noise.

    %(noise)s

    %(dense_parameters)s

    Attributes
    ----------
    %(dense_attributes)s

    See Also
    --------
    Autoencoder : The same network trained on clean inputs.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.datasets import load_digits
    >>> from skae import DenoisingAutoencoder
    >>> X = load_digits().data / 16
    >>> dae = DenoisingAutoencoder(16, noise_level=0.3, random_state=0).fit(X)
    >>> noisy = np.clip(X + np.random.default_rng(0).normal(0, 0.3, X.shape), 0, 1)
    >>> clean = dae.denoise(noisy)
    >>> bool(np.mean((clean - X) ** 2) < np.mean((noisy - X) ** 2))
    True
    """

    _parameter_constraints: dict = {
        **BaseAutoencoder._parameter_constraints,
        **DenseNetworkMixin._dense_constraints,
        **DenoisingMixin._noise_constraints,
    }

    def __init__(
        self,
        n_components="auto",
        *,
        noise="gaussian",
        noise_level=0.2,
        hidden_layer_sizes=(64,),
        activation="relu",
        loss="auto",
        batch_size="auto",
        max_iter=200,
        learning_rate_init=1e-3,
        alpha=1e-4,
        tol=1e-2,
        early_stopping=False,
        validation_fraction=0.1,
        n_iter_no_change=10,
        contamination="auto",
        outlier_score="hybrid",
        warm_start=False,
        random_state=None,
        verbose=0,
        device="cpu",
        n_threads="auto",
        callbacks=None,
    ):
        self._store_params(locals())
