"""Every parameter and fitted attribute of every estimator is documented, once."""

import inspect
from pathlib import Path

import numpy as np
import pytest
from _helpers import VARIANTS
from numpydoc.docscrape import ClassDoc


def _documented(cls, section):
    return [item.name for item in ClassDoc(cls)[section]]


@pytest.mark.parametrize("cls", VARIANTS, ids=lambda c: c.__name__)
def test_every_parameter_is_documented_once(cls):
    names = _documented(cls, "Parameters")
    assert names == list(dict.fromkeys(names))
    assert set(names) == set(inspect.signature(cls).parameters)


@pytest.mark.parametrize("cls", VARIANTS, ids=lambda c: c.__name__)
def test_every_fitted_attribute_is_documented(cls, digits):
    model = cls(n_components=2, max_iter=2, random_state=0).fit(digits[0][:100])
    fitted = {name for name in vars(model) if name.endswith("_") and not name.startswith("_")}
    assert fitted <= set(_documented(cls, "Attributes"))


def test_no_placeholder_is_left_unfilled():
    for cls in VARIANTS:
        assert "%(" not in cls.__doc__
        assert "\\\n" not in cls.__doc__


def test_a_model_trained_without_a_threshold_says_how_to_get_one(digits):
    from sklearn.exceptions import NotFittedError

    from skae import Autoencoder

    X = digits[0][:100]
    model = Autoencoder(2, random_state=0).partial_fit(X, threshold=False)
    assert model.transform(X).shape == (100, 2)
    with pytest.raises(NotFittedError, match=r"no outlier threshold yet: call fit_threshold"):
        model.predict(X)
    assert np.isin(model.fit_threshold(X).predict(X), [-1, 1]).all()


def test_the_tests_the_user_guide_names_exist():
    import re
    from pathlib import Path

    root = Path(__file__).parents[2]
    guide = (root / "docs" / "user_guide.md").read_text()
    named = set(re.findall(r"`(test_\w+)`", guide))
    assert len(named) > 20
    defined = set()
    for path in (root / "tests").rglob("test_*.py"):
        defined |= set(re.findall(r"^def (test_\w+)", path.read_text(), flags=re.M))
    assert named <= defined, sorted(named - defined)
    for path in re.findall(r"`(tests/[\w/]+\.py)`", guide):
        assert (root / path).exists(), path


@pytest.mark.parametrize(
    "cls", [*VARIANTS, "EncoderDecoderRegressor", "AutoencoderImputer"], ids=str
)
def test_the_html_repr_links_to_the_api_page(cls):
    import re

    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler
    from sklearn.utils import estimator_html_repr

    import skae

    cls = getattr(skae, cls) if isinstance(cls, str) else cls
    page = f"/generated/skae.{cls.__name__}.html"
    html = estimator_html_repr(make_pipeline(StandardScaler(), cls()))
    links = set(re.findall(r'href="([^"#]+)', html))
    assert any(link.startswith("https://") and link.endswith(page) for link in links)
    assert any("scikit-learn.org" in link and "StandardScaler" in link for link in links)
    built = Path(__file__).parents[2] / "docs" / "api.rst"
    assert cls.__name__ in built.read_text()  # the page it links to is generated
