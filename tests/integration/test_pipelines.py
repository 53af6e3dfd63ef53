"""skae estimators inside scikit-learn's tools: pipelines, column transformers, searches."""

import numpy as np
import pandas as pd
import pytest
from sklearn.compose import ColumnTransformer
from sklearn.datasets import load_breast_cancer
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV, RandomizedSearchCV, cross_val_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

import skae


@pytest.fixture(scope="module")
def cancer():
    return load_breast_cancer(return_X_y=True, as_frame=True)


def test_codes_feed_a_classifier_in_a_pipeline(cancer):
    X, y = cancer
    pipe = make_pipeline(
        StandardScaler(), skae.Autoencoder(n_components=4, random_state=0), LogisticRegression()
    )
    scores = cross_val_score(pipe, X, y, cv=3)
    assert scores.mean() > 0.9


def test_grid_search_without_labels(cancer):
    X, _ = cancer
    search = GridSearchCV(
        make_pipeline(StandardScaler(), skae.Autoencoder(max_iter=20, random_state=0)),
        {"autoencoder__n_components": [2, 4, 8], "autoencoder__alpha": [1e-5, 1e-3]},
        cv=3,
    ).fit(X)
    scores = search.cv_results_["mean_test_score"]
    assert len(scores) == 6 and np.all(scores < 0)
    # a larger code reconstructs better, so the label-free score must prefer it
    assert search.best_params_["autoencoder__n_components"] == 8


def test_randomized_search_over_training_parameters(cancer):
    X, _ = cancer
    search = RandomizedSearchCV(
        make_pipeline(StandardScaler(), skae.Autoencoder(4, max_iter=5, random_state=0)),
        {
            "autoencoder__learning_rate_init": [1e-3, 1e-2],
            "autoencoder__hidden_layer_sizes": [(16,), (32, 16)],
            "autoencoder__activation": ["relu", "tanh"],
            "autoencoder__early_stopping": [True, False],
        },
        n_iter=4,
        cv=2,
        random_state=0,
    ).fit(X)
    assert np.isfinite(search.cv_results_["mean_test_score"]).all()


def test_parallel_search_gives_the_sequential_result(cancer):
    X, _ = cancer
    grid = {"autoencoder__n_components": [2, 3]}
    pipe = make_pipeline(StandardScaler(), skae.Autoencoder(max_iter=3, random_state=0))
    sequential = GridSearchCV(pipe, grid, cv=2).fit(X)
    parallel = GridSearchCV(pipe, grid, cv=2, n_jobs=2).fit(X)
    np.testing.assert_array_equal(
        sequential.cv_results_["mean_test_score"], parallel.cv_results_["mean_test_score"]
    )


def test_outlier_pipeline_with_pandas_output(cancer):
    X, _ = cancer
    det = make_pipeline(StandardScaler(), skae.Autoencoder(contamination=0.05, random_state=0))
    det = det.set_output(transform="pandas").fit(X)
    labels = det.predict(X)
    assert set(np.unique(labels)) == {-1, 1}
    # the threshold interpolates between two training scores, as IsolationForest's does
    assert abs(np.sum(labels == -1) - 0.05 * len(X)) <= 1
    errors = det[-1].reconstruction_error(det[:-1].transform(X), per_feature=True)
    assert isinstance(errors, pd.DataFrame)
    assert list(errors.columns) == list(X.columns)
    codes = det.transform(X)
    assert list(codes.columns) == [f"autoencoder{i}" for i in range(det[-1].n_components_)]


def test_column_transformer_encodes_a_subset_of_columns(cancer):
    X, _ = cancer
    mean_columns = [c for c in X.columns if c.startswith("mean")]
    ct = ColumnTransformer(
        [
            (
                "ae",
                make_pipeline(StandardScaler(), skae.Autoencoder(3, max_iter=5, random_state=0)),
                mean_columns,
            )
        ],
        remainder="passthrough",
    ).set_output(transform="pandas")
    out = ct.fit_transform(X)
    assert out.shape == (len(X), 3 + len(X.columns) - len(mean_columns))
    assert list(out.columns[:3]) == ["ae__autoencoder0", "ae__autoencoder1", "ae__autoencoder2"]
