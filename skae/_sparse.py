"""The sparse autoencoder: a dense autoencoder with a sparsity penalty on its code."""

from numbers import Real

import numpy as np

from ._base import BaseAutoencoder
from ._docs import fill_doc
from ._mixins import DenseNetworkMixin
from ._validation import Interval, StrOptions
from .losses import SPARSITY_PENALTIES, SparseReconstructionLoss

__all__ = ["SparseAutoencoder"]

_CODE_ACTIVATION = {"l1": "relu", "kl": "sigmoid"}


@fill_doc
class SparseAutoencoder(DenseNetworkMixin, BaseAutoencoder):
    """Dense autoencoder whose codes are pushed towards sparsity.

    A penalty on the code activations is added to the reconstruction loss,
    so that each sample is described by few active code units. The penalty
    applies only while training; :meth:`score_samples` is the default
    outlier score of the dense autoencoders (``outlier_score``), and
    :meth:`score` the negative reconstruction error, as for the other
    variants. ``loss_curve_`` includes the penalty.

    Read more in the :doc:`user guide </user_guide>`.

    Parameters
    ----------
    n_components : int or "auto", default="auto"
        Number of code units. Sparse codes are often wider than the input
        (over-complete): the penalty, not the width, limits the information.

    sparsity : {"l1", "kl"}, default="l1"
        ``"l1"``: the L1 activity penalty, the sum of absolute code values
        averaged over the batch (Keras' ``activity_regularizer=l1(w)``), with
        ReLU code units so that inactive units are exactly zero.
        ``"kl"``: the sum over code units of the KL divergence between
        ``sparsity_target`` and the unit's mean activation over the batch
        (Ng's sparse autoencoder), with sigmoid code units so that
        activations lie in (0, 1) where the divergence is defined.

    sparsity_weight : float, default=1e-3
        Strength of the penalty. Keras' tutorials use 1e-5 to 1e-4 with
        ``"l1"``. On digits scaled to [0, 1] with 32 code units, 1e-3 cuts
        the mean L1 activation about thirteenfold for about 18% more
        reconstruction error, and 1e-2 silences 30 of the 32 units; ``"kl"``
        brings the mean activation to ``sparsity_target`` from about 1e-1.

    sparsity_target : float in (0, 1), default=0.05
        Target mean activation of each code unit (``"kl"`` only).

    %(dense_parameters)s

    Attributes
    ----------
    %(dense_attributes)s

    See Also
    --------
    Autoencoder : The same network without the penalty.

    Examples
    --------
    >>> from sklearn.datasets import load_digits
    >>> from skae import SparseAutoencoder
    >>> X = load_digits().data / 16
    >>> sae = SparseAutoencoder(32, random_state=0).fit(X)
    >>> sae.transform(X).shape
    (1797, 32)
    >>> stats = sae.sparsity_stats(X)
    >>> 0 <= stats["fraction_near_zero"] <= 1
    True
    """

    _parameter_constraints: dict = {
        **BaseAutoencoder._parameter_constraints,
        **DenseNetworkMixin._dense_constraints,
        "sparsity": [StrOptions(set(SPARSITY_PENALTIES))],
        "sparsity_weight": [Interval(Real, 0, None, closed="left")],
        "sparsity_target": [Interval(Real, 0, 1, closed="neither")],
    }

    def __init__(
        self,
        n_components="auto",
        *,
        sparsity="l1",
        sparsity_weight=1e-3,
        sparsity_target=0.05,
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

    def _code_activation(self):
        return _CODE_ACTIVATION[self.sparsity]

    def _make_criterion(self):
        return SparseReconstructionLoss(
            self.loss_, self.sparsity, self.sparsity_weight, self.sparsity_target
        )

    def sparsity_stats(self, X, threshold=0.01):
        """How sparse the codes of ``X`` are.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
        threshold : float, default=0.01
            A code value counts as near zero when its absolute value is at
            most ``threshold``.

        Returns
        -------
        stats : dict
            ``"mean_activation"``: the mean absolute code value;
            ``"fraction_near_zero"``: the share of code values near zero;
            ``"unit_mean_activation"``: the mean absolute value of each code
            unit, an array of shape ``(n_components_,)``;
            ``"dead_units"``: the number of units near zero on every sample.
        """
        codes = np.abs(self.transform(X))
        near_zero = codes <= threshold
        return {
            "mean_activation": float(codes.mean()),
            "fraction_near_zero": float(near_zero.mean()),
            "unit_mean_activation": codes.mean(axis=0),
            "dead_units": int(near_zero.all(axis=0).sum()),
        }
