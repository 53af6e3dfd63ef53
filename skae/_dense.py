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

    The hybrid outlier score combines four measures of how unusual a sample
    is, each standardised on the training data (minus its median, over its
    interquartile range), in a weighted mean with weights 1, 1, 0.5, 1:

    * the reconstruction error, each feature's squared error divided by the
      mean of that feature's errors over the training data;
    * the Mahalanobis distance of the code to the training codes (the
      negative log-density of one Gaussian fit to them): global outliers;
    * the negative log-density of the code under a mixture of two Gaussians;
    * the mean distance of the code to its 50 nearest training codes: local
      outliers.

    A network trained long on contaminated data learns to reconstruct its
    anomalies too; where their codes fall still gives them away. On
    ADBench's eight classical sets this score's mean ROC-AUC is about 0.88
    against about 0.78 for the reconstruction error alone (see the anomaly
    benchmark page). A training sample is its own nearest neighbour, so its
    score is slightly more normal than a new sample's would be, as with
    scikit-learn's ``LocalOutlierFactor(novelty=True)``; ``offset_`` is set
    from the same training scores, so ``contamination`` holds on the
    training data.

    Scores are computed in batches, so memory grows with the output, not
    with the network's width times the number of samples.

    Examples
    --------
    >>> from sklearn.datasets import load_digits
    >>> from skae import Autoencoder
    >>> X = load_digits().data / 16
    >>> ae = Autoencoder(n_components=8, tol=1e-2, random_state=0).fit(X)
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
        self._store_params(locals())
