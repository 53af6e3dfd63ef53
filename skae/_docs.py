"""Parameter and attribute documentation shared by the estimators, written once.

A class docstring names a piece as ``%(piece)s`` on a line of its own and
:func:`fill_doc` puts the text in, as imbalanced-learn's ``Substitution``
does. Only such lines are replaced, so docstrings keep their other ``%``
signs as they are.
"""

import re

__all__ = ["DOCS", "DOCS_URL", "DocLinkMixin", "fill_doc"]

DOCS_URL = "https://skae.readthedocs.io/en/{version}/"
"""Where the documentation site is published; ``{version}`` is "latest" or "stable"."""


class DocLinkMixin:
    """Links an estimator's HTML representation (its "?" icon) to its API page.

    scikit-learn's own estimators link to scikit-learn's pages; this points
    skae's to ``generated/skae.<Class>.html`` of the documentation built
    for this version: "latest" for a development version, "stable" for a
    release.
    """

    _doc_link_module = "skae"

    @property
    def _doc_link_template(self):
        from . import __version__

        version = "latest" if "dev" in __version__ else "stable"
        return (
            DOCS_URL.format(version=version) + "generated/{estimator_module}.{estimator_name}.html"
        )


_TOKEN = re.compile(r"^ *%\((\w+)\)s$", re.MULTILINE)

DOCS = {
    "dense_network": """\
    hidden_layer_sizes : int or array-like of int, default=(64,)
        Widths of the encoder's hidden layers, from the input towards the
        code. The decoder uses them in reverse order. ``()`` gives a single
        layer each way.

    activation : {"relu", "leaky_relu", "elu", "gelu", "tanh", "sigmoid", \
"identity"}, default="relu"
        Activation of the hidden layers. ``"identity"`` with
        ``hidden_layer_sizes=()`` and ``loss="mse"`` gives a linear
        autoencoder, which learns the same subspace as PCA.""",
    "conv_network": """\
    filters : array-like of int, default=(32, 64)
        Channels of the encoder's stride-2 convolutions; the decoder's
        transposed convolutions mirror them.

    kernel_size : int, default=3
        Odd size of every convolution kernel.

    activation : {"relu", "leaky_relu", "elu", "gelu", "tanh", "sigmoid", \
"identity"}, default="relu"
        Activation of the hidden layers.""",
    "noise": """\
    noise_level : float, default=0.2
        Standard deviation of the Gaussian noise, or the probability of
        corrupting a value (at most 1) for the other kinds.""",
    "loss": """\
    loss : {"auto", "mse", "bce"}, default="auto"
        Reconstruction loss. ``"mse"`` is the mean squared error. ``"bce"``
        is the binary cross-entropy with a sigmoid output, for data in
        [0, 1] such as pixel intensities. ``"auto"`` picks ``"bce"`` when the
        training data lie in [0, 1] and ``"mse"`` otherwise; the choice is
        stored in ``loss_``.""",
    "training": """\
    batch_size : int or "auto", default="auto"
        Samples per mini-batch. ``"auto"`` uses a tenth of the training
        samples, at least 32 and at most 200 (never more than there are),
        so that a small table gets about ten optimizer steps an epoch.
        A last, shorter batch is kept, so fewer samples than ``batch_size``
        still train.

    max_iter : int, default=200
        Maximum number of epochs (passes over the training data).

    learning_rate_init : float, default=1e-3
        Learning rate of the Adam optimizer.

    alpha : float, default=1e-4
        Strength of the L2 penalty, scaled as in scikit-learn's MLP:
        ``alpha / (2 * batch_size) * ||W||^2`` is added to each batch's loss
        (Adam's ``weight_decay`` is ``alpha / batch_size``). Unlike the MLP's,
        it applies to the biases too, so that one fused Adam kernel updates
        every parameter (sparing the biases cost 4-5% of a small network's
        training step).

    tol : float, default=1e-2
        Training stops when the monitored loss has not fallen below
        ``(1 - tol)`` times its last improvement for ``n_iter_no_change``
        consecutive epochs: with the defaults, when ten epochs in a row
        have not brought it 1% lower. The monitored loss is the validation
        loss with ``early_stopping=True`` and the training loss otherwise.
        The rule is relative, so it means the same on data of any scale
        (scikit-learn's MLP uses an absolute ``tol``, whose meaning changes
        with the data's units). ``tol=0`` stops only on no improvement at
        all. The default was chosen on 26 tables
        (``benchmarks/bench_convergence.py``; see the user guide).

    early_stopping : bool, default=False
        Whether to hold out ``validation_fraction`` of the training data,
        stop on its loss and restore the weights of the best epoch.

    validation_fraction : float, default=0.1
        Fraction of the training data held out when ``early_stopping=True``
        (at least one sample).

    n_iter_no_change : int, default=10
        Epochs without an improvement of at least ``tol`` (relative) before
        stopping.""",
    "contamination": """\
    contamination : "auto" or float in (0, 0.5], default="auto"
        Sets ``offset_``, the threshold of :meth:`predict`. A float is the
        expected proportion of outliers in the training data: that share of
        the training samples with the lowest scores is labelled -1. With
        ``"auto"``, a sample is an outlier when its anomaly score
        (``-score_samples``) exceeds the upper Tukey fence of the training
        samples' anomaly scores, ``Q3 + 1.5 * (Q3 - Q1)``, a rule that
        assumes no proportion. On the 17 ADBench classical sets of the
        anomaly benchmark's confirmation half, with 18.6% of anomalies, it
        flags 6.7% of new samples (``IsolationForest``'s ``"auto"``: 17%),
        40% of them anomalies (the anomaly benchmark prints what it
        flags).""",
    "outlier_score": """\
    outlier_score : {"hybrid", "reconstruction"}, default="hybrid"
        What :meth:`score_samples` measures. ``"reconstruction"`` is the
        negative mean squared reconstruction error. ``"hybrid"`` is how far
        the sample lies from the training data, in the input space (each
        feature standardised) and among the codes, which catches anomalies
        that the network reconstructs well. It was chosen on one half of
        ADBench's classical tabular sets (where, averaged over nine network
        sizes, it ranks anomalies better than the reconstruction error on 18
        of 22 sets, and varies far less with the network's size) and
        confirmed on the other half, against ``IsolationForest``, kNN
        distances, LOF and PyOD's ``AutoEncoder`` (see the anomaly
        benchmark). :meth:`score` and
        :meth:`reconstruction_error` are the reconstruction error either
        way. The score a fit chose is ``outlier_score_``; changing this
        parameter takes effect at the next fit.""",
    "running": """\
    warm_start : bool, default=False
        When True, :meth:`fit` continues training the current network (and
        keeps ``loss_`` and ``n_components_``) instead of starting afresh.

    random_state : int, RandomState instance or None, default=None
        Seeds the initial weights, the order of the mini-batches, the
        validation split, any training-time noise and the outlier
        statistics, one seed for each. An int makes a fit bitwise
        reproducible on the CPU. The global random states of numpy and
        torch are not used (except to draw seeds when
        ``random_state=None``) and are left unchanged.

    verbose : int, default=0
        0 is silent; 1 prints skorch's table of losses after each epoch; 2
        adds a progress bar over the batches.

    device : str, default="cpu"
        Where to train and infer: ``"auto"`` (a CUDA GPU when torch sees
        one, else the CPU) or any device string ``torch.device`` accepts,
        such as ``"cpu"``, ``"cuda"``, ``"cuda:1"`` or ``"mps"``; a device
        torch does not see here is refused with a ValueError before any
        training. Outputs are always numpy arrays (or frames, see
        ``set_output``), whatever the device and whatever the input (numpy,
        pandas, polars or a torch tensor on any device).

    n_threads : "auto" or int, default="auto"
        CPU threads torch computes with during this estimator's training and
        inference (its intra-op threads, ``torch.set_num_threads``), not
        processes: scikit-learn's ``n_jobs`` of a search runs processes,
        each with its share of the cores. ``"auto"`` uses one thread when a
        batch is too little work to share (small dense networks, a few
        samples) and otherwise torch's current setting; it never uses more
        threads than that setting, so that searches with ``n_jobs`` do not
        oversubscribe the cores. An int is used as it is. The caller's
        setting is put back when each call returns. Convolutions may
        round the last bits differently on different thread counts; dense
        networks give the same bits. Ignored on GPUs.

    callbacks : list of skorch callbacks or None, default=None
        Extra `skorch callbacks
        <https://skorch.readthedocs.io/en/stable/callbacks.html>`_ (instances
        or ``(name, callback)`` tuples), for example
        ``skorch.callbacks.Checkpoint``. They are copied at each fit.""",
    "fitted_settings": """\
    n_components_ : int
        Size of the code.

    loss_ : {"mse", "bce"}
        The reconstruction loss trained with.""",
    "training_history": """\
    n_iter_ : int
        Number of epochs run, over all calls to :meth:`fit` (with
        ``warm_start``) and :meth:`partial_fit`.

    loss_curve_ : list of float
        Training loss after each epoch.

    validation_scores_ : list of float or None
        Score on the held-out data after each epoch, the negative
        validation loss (higher is better); None without early stopping.

    best_validation_score_ : float or None
        Best of ``validation_scores_``.""",
    "fitted_net": """\
    fill_values_ : ndarray of shape (`n_features_in_`,)
        The value a missing entry (NaN) takes in the network's input: each
        feature's mean over the observed values of the first training data.

    net_ : skorch.NeuralNet
        The fitted skorch net; the torch module is ``net_.module_`` and the
        training history ``net_.history``.

    n_features_in_ : int
        Number of features seen during ``fit``.

    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Names of features seen during ``fit``. Defined only when `X`
        has feature names that are all strings.""",
    "fitted_outlier": """\
    offset_ : float
        Threshold on :meth:`score_samples`; :meth:`decision_function` is
        ``score_samples(X) - offset_``.

    outlier_score_ : {"hybrid", "reconstruction"}
        What :meth:`score_samples` measures, as chosen at fit time.""",
    "outlier_stats": """\
    outlier_stats_ : dict
        With ``outlier_score_="hybrid"``, what the score learned from the
        training data: each feature's ``"input_mean"`` and
        ``"input_scale"`` (standard deviation), the codes' ``"code_mean"``
        and ``"code_scale"``, the standardised ``"reference_rows"`` and
        ``"reference_codes"`` (at most 256 each, seeded subsamples of
        larger training sets), the neighbour ranks ``"n_neighbors"`` and
        ``"n_code_neighbors"``, and the ``"center"`` and ``"spread"`` of the
        two distances over the training data. Training sets of more than
        20,000 samples are represented by a seeded subsample of 20,000,
        which also sets ``offset_``.""",
}
"""The shared pieces, by name, indented for a class docstring."""

DOCS["dense_parameters"] = "\n\n".join(
    DOCS[piece]
    for piece in ("dense_network", "loss", "training", "contamination", "outlier_score", "running")
)
DOCS["fitted"] = "\n\n".join(
    DOCS[piece] for piece in ("fitted_settings", "training_history", "fitted_outlier", "fitted_net")
)
DOCS["dense_attributes"] = DOCS["fitted"] + "\n\n" + DOCS["outlier_stats"]
DOCS["image_parameters"] = "\n\n".join(
    DOCS[piece] for piece in ("training", "contamination", "running")
)


def fill_doc(cls):
    """Class decorator: replace each ``%(piece)s`` of the docstring by ``DOCS[piece]``."""
    cls.__doc__ = _TOKEN.sub(lambda match: DOCS[match.group(1)], cls.__doc__)
    return cls
