"""The pure torch layer: networks and their initialisation."""

import math

import pytest
import torch
from _helpers import global_random_state_untouched
from torch import nn

from skae.networks import (
    ACTIVATIONS,
    ConvAutoencoderNetwork,
    DenseAutoencoderNetwork,
    build_network,
    initialize_parameters,
    make_mlp,
)


def _linear_widths(sequential):
    return [
        (m.in_features, m.out_features) for m in sequential.modules() if isinstance(m, nn.Linear)
    ]


def test_dense_network_mirrors_the_encoder_in_the_decoder():
    net = DenseAutoencoderNetwork(10, 3, (8, 5), "relu")
    assert _linear_widths(net.encoder) == [(10, 8), (8, 5), (5, 3)]
    assert _linear_widths(net.decoder) == [(3, 5), (5, 8), (8, 10)]


def test_dense_network_forward_returns_output_and_code():
    net = DenseAutoencoderNetwork(6, 2, (4,), "tanh")
    X = torch.randn(7, 6)
    output, code = net(X)
    assert output.shape == (7, 6)
    assert code.shape == (7, 2)
    torch.testing.assert_close(code, net.encode(X))
    torch.testing.assert_close(output, net.decode(code))


def test_sigmoid_network_trains_on_logits_and_decodes_probabilities():
    net = DenseAutoencoderNetwork(5, 2, (4,), "relu", output_activation="sigmoid")
    X = torch.randn(50, 5)
    logits, code = net(X)
    reconstruction = net.decode(code)
    torch.testing.assert_close(reconstruction, torch.sigmoid(logits))
    big, _ = net(100 * X)
    assert big.abs().max() > 1  # logits are not squashed
    assert net.decode(net.encode(100 * X)).max() <= 1


def test_dense_network_without_hidden_layers_is_one_layer_each_way():
    net = DenseAutoencoderNetwork(6, 2, (), "relu")
    assert _linear_widths(net) == [(6, 2), (2, 6)]
    assert not any(isinstance(m, nn.ReLU) for m in net.modules())


@pytest.mark.parametrize("name", sorted(ACTIVATIONS))
def test_make_mlp_puts_the_activation_between_layers_only(name):
    mlp = make_mlp([4, 3, 2], name)
    kinds = [type(m) for m in mlp]
    assert kinds == [nn.Linear, ACTIVATIONS[name], nn.Linear]
    last = make_mlp([4, 3, 2], name, activate_last=True)
    assert type(last[-1]) is ACTIVATIONS[name]


def test_every_parameter_receives_a_gradient():
    net = DenseAutoencoderNetwork(6, 2, (4,), "relu")
    X = torch.randn(16, 6)
    reconstruction, _ = net(X)
    ((reconstruction - X) ** 2).mean().backward()
    for name, p in net.named_parameters():
        assert p.grad is not None and p.grad.abs().sum() > 0, name


def test_build_network_is_reproducible_and_leaves_the_global_rng_alone():
    with global_random_state_untouched():
        a = build_network(
            lambda: DenseAutoencoderNetwork(6, 2, (4,), "relu"), torch.Generator().manual_seed(1)
        )
        b = build_network(
            lambda: DenseAutoencoderNetwork(6, 2, (4,), "relu"), torch.Generator().manual_seed(1)
        )
        c = build_network(
            lambda: DenseAutoencoderNetwork(6, 2, (4,), "relu"), torch.Generator().manual_seed(2)
        )
    for pa, pb, pc in zip(a.parameters(), b.parameters(), c.parameters()):
        assert torch.equal(pa, pb)
        assert not torch.equal(pa, pc)


def test_initialisation_follows_torch_defaults():
    # PyTorch's nn.Linear draws weights and biases uniformly in ±1/sqrt(fan_in).
    layer = initialize_parameters(nn.Linear(400, 300), torch.Generator().manual_seed(0))
    bound = 1 / math.sqrt(400)
    for tensor in (layer.weight, layer.bias):
        assert tensor.abs().max() <= bound
        assert tensor.abs().max() > 0.95 * bound
    # a uniform variable on [-b, b] has standard deviation b / sqrt(3)
    assert layer.weight.std().item() == pytest.approx(bound / math.sqrt(3), rel=0.02)


def test_initialisation_resets_normalisation_layers():
    net = build_network(
        lambda: nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4)), torch.Generator().manual_seed(0)
    )
    norm = net[1]
    assert torch.equal(norm.weight, torch.ones(4))
    assert torch.equal(norm.running_mean, torch.zeros(4))
    assert torch.equal(norm.running_var, torch.ones(4))


@pytest.mark.parametrize("image_shape", [(1, 28, 28), (1, 8, 8), (3, 7, 9), (2, 13, 6), (1, 1, 5)])
@pytest.mark.parametrize("filters", [(32, 64), (8,), (4, 8, 16)])
def test_conv_network_reconstructs_any_image_size_exactly(image_shape, filters):
    net = ConvAutoencoderNetwork(image_shape, 4, filters)
    X = torch.rand(3, math.prod(image_shape))
    output, code = net(X)
    assert output.shape == X.shape and code.shape == (3, 4)
    torch.testing.assert_close(net.decode(code), output)


def test_conv_network_follows_the_keras_tutorial_shape():
    net = ConvAutoencoderNetwork((1, 28, 28), 32)
    convs = [
        (m.in_channels, m.out_channels, m.stride) for m in net.encoder if isinstance(m, nn.Conv2d)
    ]
    assert convs == [(1, 32, (2, 2)), (32, 64, (2, 2))]
    transposed = [
        (m.in_channels, m.out_channels, m.stride)
        for m in net.decoder
        if isinstance(m, nn.ConvTranspose2d)
    ]
    assert transposed == [(64, 64, (2, 2)), (64, 32, (2, 2)), (32, 1, (1, 1))]
    assert net.encoder[-1].in_features == 64 * 7 * 7
