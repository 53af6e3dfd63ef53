"""Plots of autoencoders, as scikit-learn style Display objects.

Each Display is built with ``XDisplay.from_estimator(estimator, X, ...)``
(or from precomputed arrays with its constructor and :meth:`plot`) and
keeps its matplotlib figure and artists as attributes ending in ``_``.
matplotlib is imported only when something is drawn; install it with
``pip install 'skae[plots]'``.
"""

from ._anomaly import AnomalyScoreDisplay, FeatureErrorDisplay
from ._images import GeneratedSamplesDisplay, ReconstructionDisplay
from ._latent import LatentSpaceDisplay, LossCurveDisplay

__all__ = [
    "AnomalyScoreDisplay",
    "FeatureErrorDisplay",
    "GeneratedSamplesDisplay",
    "LatentSpaceDisplay",
    "LossCurveDisplay",
    "ReconstructionDisplay",
]
