"""The dense ("vanilla") autoencoder."""

from functools import partial
from numbers import Integral

from ._base import BaseAutoencoder
from ._validation import Interval, StrOptions, check_layer_sizes
from .networks import ACTIVATIONS, DenseAutoencoderNetwork

__all__ = ["Autoencoder"]


class Autoencoder(BaseAutoencoder):
    """Dense autoencoder: a transformer and an outlier detector.

    An encoder of fully connected layers maps each sample to a code of
    ``n_components`` numbers; a mirrored decoder maps the code back. Trained
    to reconstruct its input, it reduces dimensions non-linearly
    (:meth:`transform`), reconstructs (:meth:`inverse_transform`) and scores
    how normal a sample is by how well it is reconstructed
    (:meth:`score_samples`, :meth:`predict`).

    Training runs in `skorch <https://skorch.readthedocs.io>`_ with the Adam
    optimizer, on mini-batches in float32.

    Read more in the :doc:`user guide </user_guide>`.

    Parameters
    ----------
    n_components : int or "auto", default="auto"
        Size of the code. ``"auto"`` uses ``max(1, round(sqrt(n_features)))``.

    hidden_layer_sizes : int or array-like of int, default=(64,)
        Widths of the encoder's hidden layers, from the input towards the
        code. The decoder uses them in reverse order. ``()`` gives a single
        layer each way.

    activation : {"relu", "leaky_relu", "elu", "gelu", "tanh", "sigmoid", \
"identity"}, default="relu"
        Activation of the hidden layers. ``"identity"`` with
        ``hidden_layer_sizes=()`` and ``loss="mse"`` gives a linear
        autoencoder, which learns the same subspace as PCA.

    loss : {"auto", "mse", "bce"}, default="auto"
        Reconstruction loss. ``"mse"`` is the mean squared error. ``"bce"``
        is the binary cross-entropy with a sigmoid output, for data in
        [0, 1] such as pixel intensities. ``"auto"`` picks ``"bce"`` when the
        training data lie in [0, 1] and ``"mse"`` otherwise; the choice is
        stored in ``loss_``.

    batch_size : int or "auto", default="auto"
        Samples per mini-batch. ``"auto"`` uses ``min(200, n_samples)``.
        A last, shorter batch is kept, so fewer samples than ``batch_size``
        still train.

    max_iter : int, default=200
        Maximum number of epochs (passes over the training data).

    learning_rate_init : float, default=1e-3
        Learning rate of the Adam optimizer.

    alpha : float, default=1e-4
        Strength of the L2 penalty on the weights, as in scikit-learn's MLP:
        ``alpha / (2 * batch_size) * ||W||^2`` is added to each batch's loss
        (Adam's ``weight_decay`` is ``alpha / batch_size``). Biases are not
        penalised.

    tol : float, default=1e-4
        Training stops when the monitored loss has not improved by at least
        ``tol`` for ``n_iter_no_change`` consecutive epochs. The monitored
        loss is the validation loss with ``early_stopping=True`` and the
        training loss otherwise. ``tol=0`` stops only on no improvement at all.

    early_stopping : bool, default=False
        Whether to hold out ``validation_fraction`` of the training data,
        stop on its loss and restore the weights of the best epoch.

    validation_fraction : float, default=0.1
        Fraction of the training data held out when ``early_stopping=True``
        (at least one sample).

    n_iter_no_change : int, default=10
        Epochs without improvement of at least ``tol`` before stopping.

    contamination : "auto" or float in (0, 0.5], default="auto"
        Sets ``offset_``, the threshold of :meth:`predict`. A float is the
        expected proportion of outliers in the training data: that share of
        the training samples with the lowest scores is labelled -1. With
        ``"auto"``, a sample is an outlier when its anomaly score
        (``-score_samples``) exceeds the upper Tukey fence of the training
        samples' anomaly scores, ``Q3 + 1.5 * (Q3 - Q1)``, a rule that
        assumes no proportion. On ADBench's eight classical sets, with 4.7%
        of anomalies, it flags 6.7% of new samples (``IsolationForest``'s
        ``"auto"``: 15%), a quarter of them anomalies (the anomaly benchmark
        prints what it flags).

    outlier_score : {"hybrid", "reconstruction"}, default="hybrid"
        What :meth:`score_samples` measures. ``"reconstruction"`` is the
        negative mean squared reconstruction error. ``"hybrid"`` adds how
        rare the sample's code is among the training codes, which also
        catches anomalies that the network reconstructs well: on ADBench's
        classical tabular sets it ranks anomalies markedly better (see the
        Notes and the anomaly benchmark). :meth:`score` and
        :meth:`reconstruction_error` are the reconstruction error either way.

    warm_start : bool, default=False
        When True, :meth:`fit` continues training the current network (and
        keeps ``loss_`` and ``n_components_``) instead of starting afresh.

    random_state : int, RandomState instance or None, default=None
        Seeds the initial weights, the order of the mini-batches and the
        validation split. An int makes a fit bitwise reproducible on the
        CPU. The global random states of numpy and torch are not used
        (except to draw seeds when ``random_state=None``) and are left
        unchanged.

    verbose : int, default=0
        0 is silent; 1 prints skorch's table of losses after each epoch; 2
        adds a progress bar over the batches.

    device : {"cpu", "cuda", "auto"}, default="cpu"
        Where to train and infer. ``"auto"`` takes a CUDA GPU when torch
        sees one. Outputs are always numpy arrays.

    callbacks : list of skorch callbacks or None, default=None
        Extra `skorch callbacks
        <https://skorch.readthedocs.io/en/stable/callbacks.html>`_ (instances
        or ``(name, callback)`` tuples), for example
        ``skorch.callbacks.Checkpoint``. They are copied at each fit.

    Attributes
    ----------
    n_components_ : int
        Size of the code.

    loss_ : {"mse", "bce"}
        The reconstruction loss trained with.

    n_iter_ : int
        Number of epochs run, over all calls to :meth:`fit` (with
        ``warm_start``) and :meth:`partial_fit`.

    loss_curve_ : list of float
        Training loss after each epoch.

    validation_scores_ : list of float or None
        Score on the held-out data after each epoch, the negative
        validation loss (higher is better); None without early stopping.

    best_validation_score_ : float or None
        Best of ``validation_scores_``.

    offset_ : float
        Threshold on :meth:`score_samples`; :meth:`decision_function` is
        ``score_samples(X) - offset_``.

    outlier_stats_ : dict
        With ``outlier_score="hybrid"``, what the score learned from the
        training data: ``"inverse_feature_scale"`` (one over each feature's
        mean squared error), the codes' ``"code_mean"`` and
        ``"code_scale"``, the ``"gaussian"`` and two-component
        ``"mixture"`` densities fit to the standardised codes,
        ``"reference_codes"`` (at most 2,000 training codes, a random
        subsample of larger training sets) and
        ``"n_neighbors"``, and the ``"center"`` and ``"spread"`` of the four
        components over the training data. Training sets of more than
        20,000 samples are represented by a seeded subsample of 20,000,
        which also sets ``offset_``.

    net_ : skorch.NeuralNet
        The fitted skorch net; the torch module is ``net_.module_`` and the
        training history ``net_.history``.

    n_features_in_ : int
        Number of features seen during ``fit``.

    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Names of features seen during ``fit``. Defined only when `X`
        has feature names that are all strings.

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
        "hidden_layer_sizes": ["array-like", Interval(Integral, 1, None, closed="left")],
        "activation": [StrOptions(set(ACTIVATIONS))],
        "outlier_score": [StrOptions({"hybrid", "reconstruction"})],
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
        super().__init__(
            n_components,
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
            warm_start=warm_start,
            random_state=random_state,
            verbose=verbose,
            device=device,
            callbacks=callbacks,
        )
        self.hidden_layer_sizes = hidden_layer_sizes
        self.activation = activation
        self.outlier_score = outlier_score

    def _make_network(self, n_features):
        return partial(
            DenseAutoencoderNetwork,
            n_features,
            self.n_components_,
            check_layer_sizes(self.hidden_layer_sizes, "hidden_layer_sizes"),
            self.activation,
            output_activation=self._output_activation,
        )
