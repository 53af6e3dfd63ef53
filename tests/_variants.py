"""The estimator classes that tests parametrise over, in one place."""

from skae import (
    Autoencoder,
    ConvAutoencoder,
    DenoisingAutoencoder,
    SparseAutoencoder,
    VariationalAutoencoder,
)

VARIANTS = [
    Autoencoder,
    SparseAutoencoder,
    DenoisingAutoencoder,
    ConvAutoencoder,
    VariationalAutoencoder,
]
