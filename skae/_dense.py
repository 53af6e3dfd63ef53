"""The dense ("vanilla") autoencoder."""

from ._base import BaseAutoencoder
from ._docs import fill_doc
from ._mixins import DenseNetworkMixin

__all__ = ["Autoencoder"]


@fill_doc
class Autoencoder(DenseNetworkMixin, BaseAutoencoder):
    """Dense autoencoder: a transformer and an outlier detector.

    An encoder of fully connected layers maps each sample to a code of
    ``n_components`` numbers; a mirrored decoder maps the code back. Trained
    to reconstruct its input, it reduces dimensions non-linearly
    (:meth:`transform`), reconstructs (:meth:`inverse_transform`) and scores
    how normal a sample is by how well it is reconstructed and how usual its
    code is (:meth:`score_samples`, :meth:`predict`).

    Training runs in `skorch <https://skorch.readthedocs.io>`_ with the Adam
    optimizer, on mini-batches in float32.

    Read more in the :doc:`user guide </user_guide>`.

    Parameters
    ----------
    n_components : int or "auto", default="auto"
        Size of the code. ``"auto"`` uses ``max(1, round(sqrt(n_features)))``.

    %(dense_parameters)s

    Attributes
    ----------
    %(dense_attributes)s

    See Also
    --------
    sklearn.decomposition.PCA : Linear dimensionality reduction.
    sklearn.ensemble.IsolationForest : Tree-based outlier detection.
    sklearn.neural_network.MLPRegressor : The source of the parameter names.

    Notes
    -----
    The reconstruction error, in :meth:`reconstruction_error` and
    :meth:`score`, is the mean squared error over the features, whatever
    ``loss`` was trained, so that it compares across models.

    The hybrid outlier score measures how far a sample lies from the
    training data, in two spaces, each distance standardised on the
    training data (minus its median, over its interquartile range), in a
    weighted mean with weights 2 and 1:

    * the distance to the 10th nearest of 256 training rows (a seeded
      subsample of larger training sets), each feature divided by its
      training standard deviation, so that no feature's units dominate;
    * the distance of the code to the 10th nearest of 256 training codes,
      each code dimension standardised.

    The reconstruction error is not part of it: a network trained long on
    contaminated data learns to reconstruct its anomalies too, and on
    ADBench's classical sets it lowered the ranking of anomalies whenever
    it was added (see the anomaly benchmark page, which gives the score's
    ROC-AUC on sets that played no part in choosing it). A training row is
    among its own references, so its score is slightly more normal than a
    new sample's would be, as with scikit-learn's
    ``LocalOutlierFactor(novelty=True)``; the standardisation leaves each
    training row's own copy out, and ``offset_`` is set from the training
    scores as :meth:`score_samples` gives them, so ``contamination`` holds
    on the training data.

    Scores are computed in batches, so memory grows with the output, not
    with the network's width times the number of samples.

    Examples
    --------
    >>> from sklearn.datasets import load_digits
    >>> from skae import Autoencoder
    >>> X = load_digits().data / 16
    >>> ae = Autoencoder(n_components=8, random_state=0).fit(X)
    >>> ae.transform(X).shape
    (1797, 8)
    >>> ae.inverse_transform(ae.transform(X)).shape
    (1797, 64)
    >>> ae.predict(X[:5]).tolist()
    [1, 1, 1, 1, 1]
    """

    _parameter_constraints: dict = {
        **BaseAutoencoder._parameter_constraints,
        **DenseNetworkMixin._dense_constraints,
    }

    def __init__(
        self,
        n_components="auto",
        *,
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
