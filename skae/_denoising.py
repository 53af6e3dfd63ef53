"""The denoising autoencoder, and the corruption options every denoising variant shares."""

from numbers import Real

from ._dense import Autoencoder
from ._validation import Interval, StrOptions
from .noise import NOISE_KINDS, Corruption

__all__ = ["DenoisingAutoencoder", "DenoisingMixin"]


class DenoisingMixin:
    """Training-time corruption for estimators with ``noise`` and ``noise_level``.

    Shared by :class:`DenoisingAutoencoder` and the convolutional
    autoencoder. ``noise=None`` trains on clean inputs.
    """

    _noise_constraints = {
        "noise": [StrOptions(set(NOISE_KINDS)), None],
        "noise_level": [Interval(Real, 0, None, closed="left")],
    }

    def _make_corruption(self, X):
        if self.noise is None:
            return None
        if self.noise != "gaussian" and self.noise_level > 1:
            raise ValueError(
                f"noise_level is the probability of corrupting each value with "
                f"noise={self.noise!r}, so it must be at most 1; got {self.noise_level}."
            )
        if self.noise == "salt_pepper":
            return Corruption(
                "salt_pepper", self.noise_level, low=X.amin(dim=0), high=X.amax(dim=0)
            )
        clip = (0.0, 1.0) if self.loss_ == "bce" else None
        return Corruption(self.noise, self.noise_level, clip=clip)

    def denoise(self, X):
        """Remove noise from ``X``: the reconstruction of the corrupted input.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Noisy samples.

        Returns
        -------
        X_denoised : ndarray of shape (n_samples, n_features)
            Same as :meth:`reconstruct`.
        """
        return self.reconstruct(X)


class DenoisingAutoencoder(DenoisingMixin, Autoencoder):
    """Dense autoencoder trained to reconstruct clean inputs from corrupted ones.

    During training only, each batch is corrupted before it enters the
    network, and the loss compares the reconstruction with the clean batch.
    The noise comes from the estimator's own generator, seeded by
    ``random_state``, so a fit stays reproducible. A fitted model is
    deterministic: :meth:`transform`, :meth:`score_samples` and
    :meth:`denoise` apply no noise.

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

    noise_level : float, default=0.2
        Standard deviation of the Gaussian noise, or the probability of
        corrupting a value (at most 1) for the other kinds.

    hidden_layer_sizes, activation, loss, batch_size, max_iter, \
learning_rate_init, alpha, tol, early_stopping, validation_fraction, \
n_iter_no_change, contamination, outlier_score, warm_start, random_state, \
verbose, device, callbacks
        As in :class:`Autoencoder`. With ``early_stopping``, the validation
        loss is measured on clean inputs.

    Attributes
    ----------
    n_components_, loss_, n_iter_, loss_curve_, validation_scores_, \
best_validation_score_, offset_, outlier_stats_, net_, n_features_in_, \
feature_names_in_
        As in :class:`Autoencoder`. ``loss_curve_`` is the loss on the
        corrupted training batches.

    See Also
    --------
    Autoencoder : The same network trained on clean inputs.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.datasets import load_digits
    >>> from skae import DenoisingAutoencoder
    >>> X = load_digits().data / 16
    >>> dae = DenoisingAutoencoder(16, noise_level=0.3, tol=1e-2, random_state=0).fit(X)
    >>> noisy = np.clip(X + np.random.default_rng(0).normal(0, 0.3, X.shape), 0, 1)
    >>> clean = dae.denoise(noisy)
    >>> bool(np.mean((clean - X) ** 2) < np.mean((noisy - X) ** 2))
    True
    """

    _parameter_constraints: dict = {
        **Autoencoder._parameter_constraints,
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
        tol=1e-4,
        early_stopping=False,
        validation_fraction=0.1,
        n_iter_no_change=10,
        contamination="auto",
        outlier_score="hybrid",
        warm_start=False,
        random_state=None,
        verbose=0,
        device="cpu",
        callbacks=None,
    ):
        super().__init__(
            n_components,
            hidden_layer_sizes=hidden_layer_sizes,
            activation=activation,
            loss=loss,
            batch_size=batch_size,
            max_iter=max_iter,
            learning_rate_init=learning_rate_init,
            alpha=alpha,
            tol=tol,
            early_stopping=early_stopping,
            validation_fraction=validation_fraction,
            n_iter_no_change=n_iter_no_change,
            contamination=contamination,
            outlier_score=outlier_score,
            warm_start=warm_start,
            random_state=random_state,
            verbose=verbose,
            device=device,
            callbacks=callbacks,
        )
        self.noise = noise
        self.noise_level = noise_level
