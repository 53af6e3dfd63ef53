"""Saving and loading estimators as plain data (pickle, joblib, skops).

A fitted estimator pickles its net as :meth:`AutoencoderNet.plain_state`
(arrays, numbers, strings) and rebuilds it on loading from its own fitted
attributes, so that nothing in a saved file runs code but skae's classes and
the user's callbacks.
"""

import warnings

import numpy as np
import torch

from ._net import AutoencoderNet
from ._training import device_unavailable, new_net, set_callbacks
from .networks import build_network

__all__ = ["PersistenceMixin"]


class PersistenceMixin:
    """``__getstate__`` and ``__setstate__`` for estimators holding an ``AutoencoderNet``."""

    def __getstate__(self):
        state = dict(super().__getstate__())
        if isinstance(state.get("net_"), AutoencoderNet):
            state["net_"] = state["net_"].plain_state()
        return state

    def __setstate__(self, state):
        net_state = state.get("net_")
        if not isinstance(net_state, dict):
            super().__setstate__(state)
            return
        super().__setstate__({key: value for key, value in state.items() if key != "net_"})
        self.net_ = self._rebuild_net(net_state)

    def _rebuild_net(self, state):
        """A fitted net from :meth:`AutoencoderNet.plain_state`'s plain data."""
        device = state["device"]
        reason = device_unavailable(torch.device(device))
        if reason is not None:
            warnings.warn(
                f"This {type(self).__name__} was saved on {device}, but {reason}: it is "
                "loaded on the CPU. Set device='cpu' before fitting it further.",
                UserWarning,
                stacklevel=3,
            )
            device = "cpu"
        # the saved parameters are checked, and the network they describe is compared with
        # the saved weights on the meta device, before anything is allocated
        self._validate_params()
        module = build_network(
            self._make_network(self.n_features_in_),
            torch.Generator().manual_seed(0),
            device,
            expected_shapes={name: np.shape(value) for name, value in state["module"].items()},
        )
        net = new_net(
            module,
            self._make_criterion(),
            device=device,
            shuffle_seed=state["shuffle_seed"],
            noise_seed=state["noise_seed"],
            valid_batch_size=state["valid_batch_size"],
            learning_rate=self.learning_rate_init,
        )
        self._link_net(net)
        set_callbacks(net, [], state["user_callbacks"])
        return net.load_plain_state(state)
