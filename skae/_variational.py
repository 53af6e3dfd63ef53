"""The variational autoencoder: a generative model in the scikit-learn API."""

import math
from functools import partial
from numbers import Integral, Real

import numpy as np
import torch
from scipy.stats import norm
from sklearn.utils import check_random_state

from ._base import BaseAutoencoder
from ._callbacks import KLWarmup
from ._docs import fill_doc
from ._inference import decode
from ._mixins import ImageLayoutMixin
from ._validation import Interval, check_is_fitted, check_layer_sizes
from .losses import (
    VariationalLoss,
    gaussian_kl,
    gaussian_log_density,
    log_likelihood,
    observed_scale,
)
from .networks import VariationalAutoencoderNetwork

__all__ = ["VariationalAutoencoder"]


def _observed(X, fill):
    """``X`` with its missing entries at ``fill``, and the mask of observed entries (or None)."""
    if fill is None:
        return X, None
    missing = torch.isnan(X)
    if not missing.any():
        return X, None
    return torch.where(missing, fill, X), ~missing


def _check_count(value, name):
    if isinstance(value, bool) or not isinstance(value, Integral) or value < 1:
        raise ValueError(f"{name} must be a positive integer; got {value!r}.")
    return int(value)


@fill_doc
class VariationalAutoencoder(ImageLayoutMixin, BaseAutoencoder):
    """Variational autoencoder: a generative model, a transformer and an outlier detector.

    The encoder maps each sample to a diagonal Gaussian ``q(z | x)`` over
    ``n_components`` latent variables (a mean and a log-variance); the
    decoder maps a latent point to a distribution over the input, Bernoulli
    (``loss="bce"``) or unit-variance Gaussian (``loss="mse"``). Training
    maximises the evidence lower bound (ELBO) with the reparameterisation
    trick (Kingma and Welling, 2014), the KL term weighted by ``beta``
    (Higgins et al., 2017).

    The network is dense by default and convolutional, with the shape of
    :class:`ConvAutoencoder`, when ``image_shape`` is given or images are
    passed as ``(n, H, W)`` or ``(n, C, H, W)`` arrays.

    The losses that ``tol`` and ``early_stopping`` monitor, and
    ``loss_curve_``, are negative ELBOs per sample in nats, the KL term
    weighted by ``beta`` (the validation one computed at the posterior
    mean). ``random_state`` also seeds the reparameterisation noise and the
    draws of :meth:`score_samples`.

    Everything an estimator returns is deterministic: :meth:`transform`
    gives the posterior mean, and :meth:`score_samples` the ELBO estimated
    with fixed latent draws (see there). Randomness enters only where it is
    asked for, through a ``random_state``: :meth:`sample` and
    :meth:`log_likelihood`.

    Read more in the :doc:`user guide </user_guide>`.

    Parameters
    ----------
    n_components : int or "auto", default="auto"
        Number of latent variables. ``"auto"`` uses
        ``max(1, round(sqrt(n_features)))``.

    hidden_layer_sizes : int or array-like of int, default=(64,)
        Widths of the dense encoder's hidden layers; the decoder mirrors
        them. Unused by the convolutional network.

    image_shape : tuple of 3 ints or None, default=None
        ``(C, H, W)``: use the convolutional network on images given as
        flattened rows. Taken from the data when images are given.

    %(conv_network)s

    beta : float, default=1.0
        Weight of the KL term. 1 trains the ELBO itself; larger values push
        the codes towards the prior (a beta-VAE), 0 turns the KL term off.

    kl_warmup : int, default=0
        Number of epochs over which the KL weight rises linearly from 0 to
        ``beta``, one step per batch, to keep latent variables from
        collapsing early in training. 0 uses ``beta`` from the start.

    n_elbo_samples : int, default=10
        Latent draws per sample in the ELBO that :meth:`score_samples`
        returns.

    loss : {"auto", "mse", "bce"}, default="auto"
        The decoder's distribution. ``"bce"``: independent Bernoulli
        variables, for data in [0, 1] (binary, or intensities). ``"mse"``:
        independent Gaussians of unit variance, for standardised data.
        ``"auto"`` picks ``"bce"`` when the training data lie in [0, 1].

    %(image_parameters)s

    Attributes
    ----------
    image_shape_ : tuple of int or None
        The ``(C, H, W)`` trained on; None for the dense network.

    elbo_noise_ : ndarray of shape (n_elbo_samples, n_components)
        The standard-normal draws :meth:`score_samples` uses.

    %(fitted)s

    See Also
    --------
    Autoencoder : The deterministic dense autoencoder.
    ConvAutoencoder : The deterministic convolutional autoencoder.

    References
    ----------
    D. P. Kingma and M. Welling, "Auto-Encoding Variational Bayes", ICLR 2014.

    Y. Burda, R. Grosse and R. Salakhutdinov, "Importance Weighted
    Autoencoders", ICLR 2016.

    I. Higgins et al., "beta-VAE: Learning Basic Visual Concepts with a
    Constrained Variational Framework", ICLR 2017.

    Examples
    --------
    >>> from sklearn.datasets import load_digits
    >>> from skae import VariationalAutoencoder
    >>> X = load_digits().data / 16
    >>> vae = VariationalAutoencoder(2, tol=0.5, random_state=0).fit(X)
    >>> vae.transform(X[:3]).shape
    (3, 2)
    >>> vae.sample(5, random_state=0).shape
    (5, 64)
    >>> bool((vae.score_samples(X[:3]) == vae.score_samples(X[:3])).all())
    True
    """

    _parameter_constraints: dict = {
        **BaseAutoencoder._parameter_constraints,
        **ImageLayoutMixin._image_constraints,
        "hidden_layer_sizes": ["array-like", Interval(Integral, 1, None, closed="left")],
        "beta": [Interval(Real, 0, None, closed="left")],
        "kl_warmup": [Interval(Integral, 0, None, closed="left")],
        "n_elbo_samples": [Interval(Integral, 1, None, closed="left")],
    }

    def __init__(
        self,
        n_components="auto",
        *,
        hidden_layer_sizes=(64,),
        image_shape=None,
        filters=(32, 64),
        kernel_size=3,
        activation="relu",
        beta=1.0,
        kl_warmup=0,
        n_elbo_samples=10,
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
        warm_start=False,
        random_state=None,
        verbose=0,
        device="cpu",
        n_threads="auto",
        callbacks=None,
    ):
        self._store_params(locals())

    # ------------------------------------------------------------------
    # The variant's parts

    def _check_params(self):
        super()._check_params()
        check_layer_sizes(self.hidden_layer_sizes, "hidden_layer_sizes")

    def _make_network(self, n_features):
        if self.image_shape_ is None:
            return partial(
                VariationalAutoencoderNetwork.dense,
                n_features,
                self.n_components_,
                check_layer_sizes(self.hidden_layer_sizes, "hidden_layer_sizes"),
                self.activation,
                output_activation=self._output_activation,
            )
        return partial(
            VariationalAutoencoderNetwork.convolutional,
            self.image_shape_,
            self.n_components_,
            check_layer_sizes(self.filters, "filters"),
            self.kernel_size,
            self.activation,
            output_activation=self._output_activation,
        )

    def _loss_floor(self, targets):
        # the negative log-likelihood is summed over a sample's features
        if self.loss_ == "bce":
            return super()._loss_floor(targets) * self.n_features_in_
        return 0.5 * self.n_features_in_ * math.log(2 * math.pi)

    def _make_criterion(self):
        return VariationalLoss(self.loss_, kl_weight=self.beta)

    def _link_net(self, net):
        net.module_.generator = net.noise_generator_

    def _build_net(self):
        net = super()._build_net()
        # an independent stream from the noise seed: SeedSequence([seed, 1])
        rng = np.random.default_rng([net.noise_seed, 1])
        self.elbo_noise_ = rng.standard_normal((self.n_elbo_samples, self.n_components_))
        return net

    def _extra_callbacks(self):
        return [("kl_warmup", KLWarmup(self.beta, self.kl_warmup))]

    def _score_batch(self, module, X, fill=None):
        X, observed = _observed(X, fill)
        mean, log_var = module.encode_distribution(X)
        std = torch.exp(0.5 * log_var)
        noise = torch.as_tensor(self.elbo_noise_, dtype=mean.dtype, device=mean.device)
        expected = torch.zeros(len(X), dtype=mean.dtype, device=mean.device)
        for eps in noise:
            expected += log_likelihood(module.decoder(mean + std * eps), X, self.loss_, observed)
        scale = observed_scale(observed, X.shape[1])
        return expected * scale / len(noise) - gaussian_kl(mean, log_var)

    # ------------------------------------------------------------------
    # Scores

    def score_samples(self, X):
        """The evidence lower bound (ELBO) of each sample: higher is more normal.

        ``E_q[log p(x | z)] - KL(q(z | x) || p(z))`` in nats, where the KL
        term is exact and the expectation is averaged over ``n_elbo_samples``
        latent points ``z = mean + std * eps``. The draws ``eps`` are fixed
        at fit time (``elbo_noise_``) and shared by every sample, so a
        sample's score does not change between calls and does not depend on
        the other samples passed with it.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)

        Returns
        -------
        scores : ndarray of shape (n_samples,)
            A lower bound on ``log p(x)`` (up to the Monte Carlo error of
            the fixed draws); see :meth:`log_likelihood` for a tighter one.
        """
        return super().score_samples(X)

    def log_likelihood(self, X, n_importance_samples=100, random_state=None):
        """Importance-weighted estimate of ``log p(x)`` for each sample.

        ``log (1/K) sum_k p(x, z_k) / q(z_k | x)`` with ``K =
        n_importance_samples`` draws ``z_k`` from ``q(z | x)`` (Burda et
        al., 2016). It is a lower bound on ``log p(x)`` that tightens as
        ``K`` grows, and it is at least the ELBO in expectation; the usual
        reported figure is its negative mean, the NLL, with ``K`` of 100 to
        5000.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
        n_importance_samples : int, default=100
            ``K``. The cost is ``K`` passes of the decoder.
        random_state : int, RandomState instance or None, default=None
            Seeds the draws; pass an int for a reproducible estimate.

        Returns
        -------
        log_likelihood : ndarray of shape (n_samples,)
            In nats.
        """
        X, _ = self._check_inference_input(X)
        n_draws = _check_count(n_importance_samples, "n_importance_samples")
        seed = int(check_random_state(random_state).randint(np.iinfo(np.int32).max))
        generator = torch.Generator(device=self.net_.device).manual_seed(seed)
        kind = self.loss_

        def estimate(module, Xb, fill=None):
            Xb, observed = _observed(Xb, fill)
            mean, log_var = module.encode_distribution(Xb)
            std = torch.exp(0.5 * log_var)
            log_weights = torch.empty(n_draws, len(Xb), dtype=mean.dtype, device=mean.device)
            for k in range(n_draws):
                eps = torch.randn(
                    mean.shape, generator=generator, dtype=mean.dtype, device=mean.device
                )
                z = mean + std * eps
                log_weights[k] = (
                    log_likelihood(module.decoder(z), Xb, kind, observed)
                    + gaussian_log_density(z, torch.zeros_like(z), torch.zeros_like(z))
                    - gaussian_log_density(z, mean, log_var)
                )
            return torch.logsumexp(log_weights, dim=0) - math.log(n_draws)

        return self._map(X, estimate, (), check_finite_rows=True)

    # ------------------------------------------------------------------
    # Generation

    def sample(self, n_samples=1, random_state=None):
        """Draw new samples: latent points from the prior, decoded.

        Parameters
        ----------
        n_samples : int, default=1
        random_state : int, RandomState instance or None, default=None
            Seeds the latent draws; pass an int for reproducible samples.

        Returns
        -------
        X_new : ndarray or DataFrame of shape (n_samples, n_features), or \
(n_samples, C, H, W)
            The decoder's mean, in the layout :meth:`fit` was given (images
            come back as images); rows come as a DataFrame with the columns
            ``feature_names_in_`` under ``set_output(transform="pandas")``.
        """
        check_is_fitted(self)
        n_samples = _check_count(n_samples, "n_samples")
        Z = check_random_state(random_state).standard_normal((n_samples, self.n_components_))
        return self._decode(Z)

    def decode_line(self, start, stop, n_points=10):
        """Decode ``n_points`` evenly spaced latent points from ``start`` to ``stop``.

        Use it to morph one sample into another: pass the codes of two
        samples from :meth:`transform`.

        Parameters
        ----------
        start, stop : array-like of shape (n_components,)
            The ends of the line, included.
        n_points : int, default=10

        Returns
        -------
        X_line : ndarray or DataFrame of shape (n_points, n_features), or \
(n_points, C, H, W)
            As :meth:`sample` returns them.
        """
        check_is_fitted(self)
        n_points = _check_count(n_points, "n_points")
        ends = []
        for name, value in (("start", start), ("stop", stop)):
            value = np.asarray(value, dtype=np.float64)
            if value.shape != (self.n_components_,):
                raise ValueError(
                    f"{name} must be a latent point of shape ({self.n_components_},); "
                    f"got shape {value.shape}."
                )
            if not np.isfinite(value).all():
                raise ValueError(f"{name} holds NaN or infinity.")
            ends.append(value)
        return self._decode(np.linspace(ends[0], ends[1], n_points))

    def decode_grid(self, n_points=10, *, dims=(0, 1), quantiles=(0.05, 0.95)):
        """Decode a square grid over two latent dimensions, the others at 0.

        Along each of the two dimensions the grid takes ``n_points`` values
        at evenly spaced quantiles of the standard-normal prior, from
        ``quantiles[0]`` to ``quantiles[1]``, so equal steps hold equal prior
        mass (the layout of Kingma and Welling's figure 4). For a 2-D
        latent space the grid covers the whole space the model generates
        from.

        Parameters
        ----------
        n_points : int, default=10
            Points along each dimension.
        dims : tuple of 2 ints, default=(0, 1)
            The latent dimensions spanned: ``dims[0]`` varies down the rows
            of the grid, ``dims[1]`` across its columns.
        quantiles : tuple of 2 floats in (0, 1), default=(0.05, 0.95)

        Returns
        -------
        grid : ndarray of shape (n_points, n_points, n_features) or \
(n_points, n_points, C, H, W)
            ``grid[i, j]`` decodes the point whose ``dims[0]`` coordinate is
            the ``i``-th value and whose ``dims[1]`` coordinate is the
            ``j``-th.
        values : ndarray of shape (n_points,)
            The latent values along each dimension.
        """
        check_is_fitted(self)
        n_points = _check_count(n_points, "n_points")
        if self.n_components_ < 2:
            raise ValueError(
                f"decode_grid needs at least 2 latent dimensions; this model has "
                f"n_components_={self.n_components_}. Use decode_line instead."
            )
        dims = tuple(dims)
        valid = all(
            isinstance(d, Integral) and not isinstance(d, bool) and 0 <= d < self.n_components_
            for d in dims
        )
        if len(dims) != 2 or not valid or dims[0] == dims[1]:
            raise ValueError(
                f"dims must be two different latent dimensions in [0, {self.n_components_}); "
                f"got {dims!r}."
            )
        low, high = quantiles
        if not 0 < low < high < 1:
            raise ValueError(
                f"quantiles must be (low, high) with 0 < low < high < 1; got {quantiles!r}."
            )
        values = norm.ppf(np.linspace(low, high, n_points))
        Z = np.zeros((n_points, n_points, self.n_components_))
        Z[:, :, dims[0]] = values[:, None]
        Z[:, :, dims[1]] = values[None, :]
        decoded = self._decode(Z.reshape(-1, self.n_components_), container=False)
        sample_shape = self._fitted_layout() or decoded.shape[1:]
        return decoded.reshape(n_points, n_points, *sample_shape), values

    def _decode(self, Z, container=True):
        """Decode the codes ``Z``: in the container of ``set_output``, or as plain rows."""
        decoded = self._map(
            np.ascontiguousarray(Z),
            decode,
            (self.n_features_in_,),
            check_finite_rows=True,
            columns=None,
            missing=False,
        )
        return self._from_rows(decoded, self._fitted_layout()) if container else decoded
