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
    reconstruction = torch.tensor([[0.5, 0.9]])
    target = torch.tensor([[0.0, 1.0]])
    expected = -(math.log(0.5) + math.log(0.9)) / 2
    assert reconstruction_loss(reconstruction, target, "bce").item() == pytest.approx(expected)


def test_bce_of_a_saturated_output_is_finite():
    loss = reconstruction_loss(torch.tensor([[1.0]]), torch.tensor([[0.0]]), "bce")
    assert math.isfinite(loss.item())
    assert loss.item() == pytest.approx(100.0)


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
