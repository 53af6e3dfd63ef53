"""The pure torch layer: loss functions, checked against values computed by hand."""

import math

import pytest
import torch

from skae.losses import (
    ReconstructionLoss,
    SparseReconstructionLoss,
    kl_sparsity_penalty,
    l1_activity_penalty,
    reconstruction_loss,
    squared_error,
)


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


def test_l1_activity_penalty_by_hand():
    code = torch.tensor([[1.0, -2.0, 0.0], [0.5, 0.0, 0.5]])
    # per-sample sums 3 and 1, averaged over the batch
    assert l1_activity_penalty(code).item() == pytest.approx(2.0)


def test_kl_sparsity_penalty_by_hand():
    code = torch.tensor([[0.1, 0.5], [0.3, 0.5]])  # unit means 0.2 and 0.5
    rho = 0.05

    def kl(q):
        return rho * math.log(rho / q) + (1 - rho) * math.log((1 - rho) / (1 - q))

    assert kl_sparsity_penalty(code, rho).item() == pytest.approx(kl(0.2) + kl(0.5), rel=1e-5)


def test_kl_sparsity_penalty_is_zero_at_the_target_and_finite_at_the_edges():
    assert kl_sparsity_penalty(torch.full((4, 3), 0.05), 0.05).item() == pytest.approx(0, abs=1e-6)
    assert math.isfinite(kl_sparsity_penalty(torch.zeros(4, 3), 0.05).item())
    assert math.isfinite(kl_sparsity_penalty(torch.ones(4, 3), 0.05).item())


@pytest.mark.parametrize("sparsity", ["l1", "kl"])
def test_sparse_loss_adds_the_weighted_penalty(sparsity):
    output = torch.tensor([[1.0, 2.0]])
    code = torch.tensor([[0.2, 0.7], [0.4, 0.1]])
    target = torch.tensor([[0.0, 0.0]])
    criterion = SparseReconstructionLoss("mse", sparsity, 0.5, target=0.1)
    penalty = l1_activity_penalty(code) if sparsity == "l1" else kl_sparsity_penalty(code, 0.1)
    expected = 2.5 + 0.5 * penalty.item()  # mse of (1, 2) against 0 is 2.5
    assert criterion((output, code), target).item() == pytest.approx(expected, rel=1e-6)


def test_unknown_sparsity_is_refused():
    with pytest.raises(ValueError, match="sparsity must be one of"):
        SparseReconstructionLoss("mse", "l2", 1.0)
