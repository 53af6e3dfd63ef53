"""skae: scikit-learn autoencoders, trained with PyTorch through skorch.

Every estimator is at once a transformer (``fit``, ``partial_fit``,
``transform``, ``inverse_transform``) and an outlier detector
(``score_samples``, ``decision_function``, ``predict``), and accepts missing
values (NaN). :class:`AutoencoderImputer` fills missing values;
:class:`EncoderDecoderRegressor` learns to map X to a paired Y.
"""

from ._base import BaseAutoencoder
from ._convolutional import ConvAutoencoder
from ._denoising import DenoisingAutoencoder
from ._dense import Autoencoder
from ._distributed import data_parallel
from ._imputer import AutoencoderImputer
from ._regressor import EncoderDecoderRegressor
from ._sparse import SparseAutoencoder
from ._streaming import fit_stream
from ._variational import VariationalAutoencoder

__version__ = "0.1.0.dev0"

__all__ = [
    "Autoencoder",
    "AutoencoderImputer",
    "BaseAutoencoder",
    "ConvAutoencoder",
    "DenoisingAutoencoder",
    "EncoderDecoderRegressor",
    "SparseAutoencoder",
    "VariationalAutoencoder",
    "__version__",
    "data_parallel",
    "fit_stream",
]
