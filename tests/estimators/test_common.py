"""scikit-learn's estimator checks over every skae estimator."""

from sklearn.utils.estimator_checks import parametrize_with_checks

from skae import (
    Autoencoder,
    ConvAutoencoder,
    DenoisingAutoencoder,
    SparseAutoencoder,
    VariationalAutoencoder,
)

FAST = dict(max_iter=5, hidden_layer_sizes=(8,), random_state=0)

ESTIMATORS = [
    Autoencoder(**FAST),
    Autoencoder(**FAST, early_stopping=True, contamination=0.1, loss="mse", batch_size=16),
    SparseAutoencoder(**FAST),
    SparseAutoencoder(**FAST, sparsity="kl", sparsity_weight=0.1),
    DenoisingAutoencoder(**FAST),
    DenoisingAutoencoder(**FAST, noise="masking", early_stopping=True),
    DenoisingAutoencoder(**FAST, noise="salt_pepper", noise_level=0.1),
    ConvAutoencoder(max_iter=5, filters=(4,), random_state=0),
    ConvAutoencoder(max_iter=5, filters=(4, 8), noise="gaussian", random_state=0),
    VariationalAutoencoder(**FAST),
    VariationalAutoencoder(**FAST, beta=4.0, kl_warmup=2, early_stopping=True, loss="mse"),
    VariationalAutoencoder(
        max_iter=5, hidden_layer_sizes=(), n_elbo_samples=1, contamination=0.1, random_state=0
    ),
]

_FLOAT32_ROUNDING = (
    "the network computes in float32, and the CPU's matrix products (MKL) round a row "
    "differently depending on its position in the batch, by 1-2 float32 ulps (about 2e-7 "
    "relative), just above this check's 1e-7 tolerance; test_outputs_do_not_depend_on_batching "
    "pins the invariance at float32 precision instead"
)

ROUNDING_SENSITIVE = [
    (ESTIMATORS[3], ("check_methods_sample_order_invariance",)),
    (ESTIMATORS[10], ("check_methods_subset_invariance",)),
]
"""The configurations whose outputs these checks catch 1-2 ulps apart; the others pass them."""


def _expected_failed_checks(estimator):
    for sensitive, checks in ROUNDING_SENSITIVE:
        if estimator is sensitive:
            return dict.fromkeys(checks, _FLOAT32_ROUNDING)
    return {}


@parametrize_with_checks(ESTIMATORS, expected_failed_checks=_expected_failed_checks)
def test_sklearn_compatible_estimator(estimator, check):
    check(estimator)
