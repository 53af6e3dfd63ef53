"""The contractive autoencoder of docs/extending.md, run as written there, is a skae estimator."""

import re
from pathlib import Path

import numpy as np
import pytest
import torch
from sklearn.utils.estimator_checks import parametrize_with_checks

PAGE = Path(__file__).resolve().parents[2] / "docs" / "extending.md"
BLOCKS = re.findall(r"```python\n(.*?)```", PAGE.read_text(), flags=re.DOTALL)

DEFINITIONS = {"__name__": __name__}  # the classes pickle as this module's
exec(compile("\n".join(BLOCKS[:2]), str(PAGE), "exec"), DEFINITIONS)
ContractiveAutoencoder = DEFINITIONS["ContractiveAutoencoder"]
ContractiveLoss = DEFINITIONS["ContractiveLoss"]

FAST = dict(max_iter=5, hidden_layer_sizes=(8,), random_state=0)


def test_the_page_has_the_definitions_and_the_use():
    assert len(BLOCKS) == 3


def test_the_usage_block_runs_as_written(capsys):
    exec(compile(BLOCKS[2], str(PAGE), "exec"), dict(DEFINITIONS))
    assert "(3, 8)" in capsys.readouterr().out


def _jacobian_norm(model, X):
    module = model.net_.module_
    x = torch.as_tensor(X, dtype=torch.float32).requires_grad_(True)
    code = module.encode(x)
    total = 0.0
    for unit in range(code.shape[1]):
        (row,) = torch.autograd.grad(code[:, unit].sum(), x, retain_graph=True)
        total += float(row.square().sum(dim=1).mean())
    return total


def test_the_penalty_is_the_squared_jacobian_norm():
    # a linear encoder: code = x W^T + b, whose Jacobian is W
    module = torch.nn.Linear(3, 2)
    module.encode = module.forward
    module.train()
    X = torch.randn(5, 3)
    output = (X.clone(), module(X))
    loss = ContractiveLoss("mse", weight=2.0)
    penalty = loss(output, X, module=module) - loss(output, X)
    expected = 2.0 * module.weight.detach().square().sum()
    torch.testing.assert_close(penalty.detach(), expected)
    module.eval()  # validation batches: the reconstruction loss alone
    torch.testing.assert_close(loss(output, X, module=module), loss(output, X))


def test_contraction_makes_the_codes_less_sensitive(digits):
    X = digits[0][:400]
    params = dict(n_components=8, max_iter=15, random_state=0)
    plain = ContractiveAutoencoder(contraction=0.0, **params).fit(X)
    contracted = ContractiveAutoencoder(contraction=0.5, **params).fit(X)
    assert _jacobian_norm(contracted, X) < 0.5 * _jacobian_norm(plain, X)
    # with no contraction it is the dense autoencoder, bit for bit
    from skae import Autoencoder

    np.testing.assert_array_equal(plain.transform(X), Autoencoder(**params).fit(X).transform(X))


def test_a_bad_contraction_is_refused_before_training(digits):
    with pytest.raises(ValueError, match="'contraction' parameter"):
        ContractiveAutoencoder(contraction=-1.0).fit(digits[0])


@parametrize_with_checks(
    [ContractiveAutoencoder(**FAST), ContractiveAutoencoder(**FAST, early_stopping=True)]
)
def test_the_contractive_autoencoder_passes_the_common_checks(estimator, check):
    check(estimator)
