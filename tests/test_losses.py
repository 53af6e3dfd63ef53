"""The pure torch layer: loss functions, checked against values computed by hand."""

import math

import pytest
import torch

from skae.losses import ReconstructionLoss, reconstruction_loss, squared_error


def test_squared_error_is_elementwise():
    error = squared_error(torch.tensor([[1.0, 3.0]]), torch.tensor([[2.0, 0.0]]))
    assert error.tolist() == [[1.0, 9.0]]


def test_mse_by_hand():
    reconstruction = torch.tensor([[0.5, 1.0], [0.0, 2.0]])
    target = torch.tensor([[0.0, 1.0], [1.0, 0.0]])
    # (0.25 + 0 + 1 + 4) / 4
    assert reconstruction_loss(reconstruction, target, "mse").item() == pytest.approx(1.3125)


def test_bce_by_hand():
    # logits 0 and log(9) are the probabilities 0.5 and 0.9
    logits = torch.tensor([[0.0, math.log(9.0)]])
    target = torch.tensor([[0.0, 1.0]])
    expected = -(math.log(0.5) + math.log(0.9)) / 2
    assert reconstruction_loss(logits, target, "bce").item() == pytest.approx(expected)


def test_bce_of_a_saturated_output_is_exact():
    # sigmoid(1000) rounds to 1 in float32; the logits form still gives the exact loss
    loss = reconstruction_loss(torch.tensor([[1000.0]]), torch.tensor([[0.0]]), "bce")
    assert loss.item() == pytest.approx(1000.0)


def test_bce_equals_cross_entropy_of_the_sigmoid():
    logits = torch.linspace(-5, 5, 12).reshape(3, 4)
    target = torch.rand(3, 4, generator=torch.Generator().manual_seed(0))
    p = torch.sigmoid(logits)
    by_hand = -(target * p.log() + (1 - target) * (1 - p).log()).mean()
    torch.testing.assert_close(reconstruction_loss(logits, target, "bce"), by_hand)


def test_criterion_uses_the_first_output_and_the_clean_input():
    criterion = ReconstructionLoss("mse")
    output = (torch.tensor([[2.0]]), torch.tensor([[123.0]]))
    assert criterion(output, torch.tensor([[0.0]])).item() == pytest.approx(4.0)


@pytest.mark.parametrize(
    "call",
    [
        lambda: ReconstructionLoss("l1"),
        lambda: reconstruction_loss(torch.zeros(1), torch.zeros(1), "l1"),
    ],
)
def test_unknown_loss_kind_is_refused(call):
    with pytest.raises(ValueError, match="kind must be one of"):
        call()
