"""scikit-learn's estimator checks over every skae estimator."""

from sklearn.utils.estimator_checks import parametrize_with_checks

from skae import (
    Autoencoder,
    ConvAutoencoder,
    DenoisingAutoencoder,
    EncoderDecoderRegressor,
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

DEFAULTS = [
    Autoencoder(),
    SparseAutoencoder(),
    DenoisingAutoencoder(),
    ConvAutoencoder(),
    VariationalAutoencoder(),
    EncoderDecoderRegressor(),
]
"""Every class with its default parameters, as ``check_estimator(cls())`` runs it."""


@parametrize_with_checks(ESTIMATORS + DEFAULTS)
def test_sklearn_compatible_estimator(estimator, check):
    check(estimator)
