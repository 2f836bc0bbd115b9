"""sample_weight in the estimators' fits: weights = repetition, zero weight =
no sample, None and equal weights = today's bits, clear errors, routing
through a Pipeline and a search, and score's weighted mean. (The weighted
objectives and their gradient: tests/test_weighted_objective.py.)"""

import numpy as np
import pytest
from helpers import quietly, relative_error, unit_data
from sklearn import config_context
from sklearn.base import clone
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import accuracy_score, make_scorer
from sklearn.model_selection import GridSearchCV, KFold
from sklearn.pipeline import Pipeline
from sklearn.utils import shuffle
from test_common import SAMPLE_WEIGHT_CHECK_INSTANCES

from skl_sparseae import (
    DeepSparseAutoencoder,
    ReconstructionICA,
    SparseAutoencoder,
    SparseAutoencoderClassifier,
    TopographicSparseCoding,
)

pytestmark = [
    pytest.mark.filterwarnings(r"ignore:.*dead and .* saturated of:UserWarning"),
    pytest.mark.filterwarnings(
        r"ignore:.*the logistic decoder only outputs values in \(0, 1\):UserWarning"
    ),
]

X = unit_data(30, 6, seed=3)
LABELS = np.arange(30) % 3
# Integers from 0 to 3, zeros among them.
WEIGHTS = np.random.RandomState(5).randint(0, 4, size=30)


def quick(model_class, **params):
    """A small, short fit of each estimator (tol=0 and max_iter: the same
    number of iterations whatever the rounding)."""
    defaults = {
        SparseAutoencoder: dict(n_components=4),
        DeepSparseAutoencoder: dict(hidden_layer_sizes=(4, 3)),
        SparseAutoencoderClassifier: dict(
            hidden_layer_sizes=(4,), pretrain_max_iter=10
        ),
        ReconstructionICA: dict(n_components=4),
        TopographicSparseCoding: dict(n_components=4, neighborhood_size=1, max_iter=3),
    }[model_class]
    if model_class is not TopographicSparseCoding:
        defaults.update(max_iter=15, tol=0)
    return model_class(random_state=0, **{**defaults, **params})


MODELS = [
    SparseAutoencoder,
    DeepSparseAutoencoder,
    SparseAutoencoderClassifier,
    ReconstructionICA,
    TopographicSparseCoding,
]


def outputs(model, X):
    if isinstance(model, SparseAutoencoderClassifier):
        return model.predict_proba(X)
    return model.transform(X)


def fitted_state(model):
    """Every fitted array and number, for bit-for-bit comparisons."""
    state = {}
    for name, value in vars(model).items():
        if name.endswith("_") and not name.startswith("_"):
            state[name] = value
    return state


def assert_same_bits(a, b):
    state_a, state_b = fitted_state(a), fitted_state(b)
    assert state_a.keys() == state_b.keys()
    for name, value in state_a.items():
        other = state_b[name]
        if isinstance(value, list):
            for part, other_part in zip(value, other, strict=True):
                np.testing.assert_array_equal(part, other_part, err_msg=name)
        else:
            np.testing.assert_array_equal(value, other, err_msg=name)


@pytest.mark.parametrize("model_class", MODELS)
def test_no_weights_and_equal_weights_give_the_unweighted_bits(model_class):
    unweighted = quietly(quick(model_class).fit, X, LABELS)
    for weights in (None, np.ones(30), np.full(30, 2.5), [3] * 30):
        weighted = quietly(quick(model_class).fit, X, LABELS, sample_weight=weights)
        assert_same_bits(weighted, unweighted)


@pytest.mark.parametrize("model_class", MODELS)
def test_zero_weights_give_the_fit_without_those_rows_bit_for_bit(model_class):
    # In memory a zero weight's row is left out: J is the other rows' J, to
    # the bit, and the other weights are equal here, so unweighted.
    keep = WEIGHTS > 0
    weighted = quietly(
        quick(model_class).fit, X, LABELS, sample_weight=keep.astype(float)
    )
    dropped = quietly(quick(model_class).fit, X[keep], LABELS[keep])
    assert_same_bits(weighted, dropped)


@pytest.mark.parametrize("model_class", MODELS)
def test_integer_weights_give_the_fit_of_repeated_rows(model_class):
    """Fitted to the arithmetic's precision (the instances of scikit-learn's
    sample-weight check), a weighted fit and a fit on the rows repeated and
    shuffled give the same model, here on other data than the check's."""
    # The check's kind of data (15 samples of 30 uniform features, weights
    # 0 to 4), drawn from another seed.
    rng = np.random.RandomState(7)
    X_other, labels = rng.rand(15, 30), rng.randint(0, 3, size=15)
    weights = rng.randint(0, 5, size=15)
    repeated_rows, repeated_labels = shuffle(
        np.repeat(X_other, weights, axis=0),
        np.repeat(labels, weights),
        random_state=0,
    )
    estimator = SAMPLE_WEIGHT_CHECK_INSTANCES[model_class]
    weighted = clone(estimator).set_params(random_state=0)
    quietly(weighted.fit, X_other, labels, sample_weight=weights)
    repeated = clone(estimator).set_params(random_state=0)
    quietly(repeated.fit, repeated_rows, repeated_labels)
    unweighted = clone(estimator).set_params(random_state=0)
    quietly(unweighted.fit, X_other, labels)
    expected = outputs(repeated, X_other)
    np.testing.assert_allclose(
        outputs(weighted, X_other), expected, rtol=1e-7, atol=1e-9
    )
    # ... which the unweighted fit is not: the comparison can fail.
    assert not np.allclose(outputs(unweighted, X_other), expected, rtol=1e-4, atol=1e-6)
    assert weighted.loss_ == pytest.approx(repeated.loss_, rel=1e-9)


@pytest.mark.parametrize("model_class", MODELS)
def test_the_sample_weight_check_instances_would_catch_ignored_weights(model_class):
    """The instances of test_common's sample-weight checks learn features
    that depend on the data (not constant units or codes), so that the check
    fails where the weights are ignored (its data and weights here)."""
    rng = np.random.RandomState(42)
    X_check = rng.rand(15, 30)
    y_check = rng.randint(0, 3, size=15)
    weights = rng.randint(0, 5, size=15)
    estimator = SAMPLE_WEIGHT_CHECK_INSTANCES[model_class]
    weighted = clone(estimator).set_params(random_state=0)
    quietly(weighted.fit, X_check, y_check, sample_weight=weights)
    ignored = clone(estimator).set_params(random_state=0)
    quietly(ignored.fit, X_check, y_check)
    codes = weighted.transform(X_check)
    assert np.ptp(codes, axis=0).max() > 0.1
    assert not np.allclose(outputs(ignored, X_check), outputs(weighted, X_check))


@pytest.mark.parametrize(
    "weights, message",
    [
        (np.ones(29), r"sample_weight.shape == \(29,\), expected \(30,\)"),
        (np.ones((30, 2)), r"expected \(30,\)"),
        (np.r_[np.nan, np.ones(29)], "NaN or infinity"),
        (np.r_[-1.0, np.ones(29)], "negative values"),
        (np.zeros(30), "at least one non-zero"),
        (["a"] * 30, "must be numbers"),
    ],
)
@pytest.mark.parametrize("model_class", MODELS)
def test_bad_weights_raise_a_clear_error_and_leave_the_model_as_it_was(
    model_class, weights, message
):
    model = quietly(quick(model_class).fit, X, LABELS)
    before = {
        name: np.copy(value)
        for name, value in fitted_state(model).items()
        if isinstance(value, np.ndarray)
    }
    with pytest.raises(ValueError, match=message):
        model.fit(X, LABELS, sample_weight=weights)
    for name, value in before.items():
        np.testing.assert_array_equal(getattr(model, name), value)


def test_classifier_weighs_unlabelled_samples_in_pretraining_only():
    """Unlabelled samples' weights count in the pretraining stages; the
    softmax and fine-tuning are over the labelled ones with theirs."""
    labels = np.where(np.arange(30) % 5 == 0, -1, LABELS)
    weights = WEIGHTS + 1.0
    model = quick(SparseAutoencoderClassifier, unlabelled_label=-1)
    weighted = quietly(clone(model).fit, X, labels, sample_weight=weights)
    # Doubling an unlabelled sample's weight changes the pretraining...
    doubled = weights.copy()
    doubled[labels == -1] *= 2
    other = quietly(clone(model).fit, X, labels, sample_weight=doubled)
    assert not np.allclose(other.coefs_[0], weighted.coefs_[0])
    # ... and the weights equal repeated rows there too (the same J).
    repeats = weights.astype(int)
    repeated = quietly(
        clone(model).fit, np.repeat(X, repeats, axis=0), np.repeat(labels, repeats)
    )
    assert weighted.pretrain_losses_ == pytest.approx(repeated.pretrain_losses_, 1e-6)


# --- routing -------------------------------------------------------------------


def routed_pipeline_fit(model_class, features_request, weights):
    """A Pipeline of ``model_class`` and LogisticRegression, fitted with
    routing on; the features step requests the weights or not."""
    with config_context(enable_metadata_routing=True):
        features = quick(model_class).set_fit_request(sample_weight=features_request)
        classifier = LogisticRegression().set_fit_request(sample_weight=True)
        pipeline = Pipeline([("features", features), ("classifier", classifier)])
        return quietly(pipeline.fit, X, LABELS, sample_weight=weights)


@pytest.mark.parametrize(
    "model_class", [SparseAutoencoder, DeepSparseAutoencoder, ReconstructionICA]
)
def test_a_pipeline_routes_weights_to_the_transformer_and_the_classifier(
    model_class,
):
    weights = WEIGHTS + 0.5
    pipeline = routed_pipeline_fit(model_class, True, weights)
    features = quietly(quick(model_class).fit, X, sample_weight=weights)
    assert_same_bits(pipeline.named_steps["features"], features)
    classifier = LogisticRegression().fit(
        features.transform(X), LABELS, sample_weight=weights
    )
    np.testing.assert_array_equal(
        pipeline.named_steps["classifier"].coef_, classifier.coef_
    )
    # Not requested: the transformer is fitted unweighted, as routing says.
    unrequested = routed_pipeline_fit(model_class, False, weights)
    assert_same_bits(
        unrequested.named_steps["features"], quietly(quick(model_class).fit, X)
    )


def test_a_pipeline_passes_weights_to_the_classifier_and_a_search_scores_with_them():
    weights = WEIGHTS + 0.5
    with config_context(enable_metadata_routing=True):
        classifier = quick(SparseAutoencoderClassifier).set_fit_request(
            sample_weight=True
        )
        classifier.set_score_request(sample_weight=True)
        pipeline = Pipeline([("classifier", classifier)])
        quietly(pipeline.fit, X, LABELS, sample_weight=weights)
        direct = quietly(
            quick(SparseAutoencoderClassifier).fit, X, LABELS, sample_weight=weights
        )
        assert_same_bits(pipeline.named_steps["classifier"], direct)
        # The search fits and scores each split with its weights (a scorer
        # that requests them: Pipeline.score routes only since 1.7).
        scorer = make_scorer(accuracy_score).set_score_request(sample_weight=True)
        alphas = [1e-4, 1e-1]
        search = GridSearchCV(
            pipeline, {"classifier__alpha": alphas}, cv=KFold(2), scoring=scorer
        )
        quietly(search.fit, X, LABELS, sample_weight=weights)
    for split, (train, test) in enumerate(KFold(2).split(X)):
        for candidate, alpha in enumerate(alphas):
            model = quick(SparseAutoencoderClassifier, alpha=alpha)
            quietly(model.fit, X[train], LABELS[train], sample_weight=weights[train])
            expected = accuracy_score(
                LABELS[test], model.predict(X[test]), sample_weight=weights[test]
            )
            scores = search.cv_results_[f"split{split}_test_score"]
            assert scores[candidate] == pytest.approx(expected, abs=1e-12)
    best = quick(
        SparseAutoencoderClassifier, alpha=search.best_params_["classifier__alpha"]
    )
    quietly(best.fit, X, LABELS, sample_weight=weights)
    assert_same_bits(search.best_estimator_.named_steps["classifier"], best)
    # Without routing, the classic "step__sample_weight" works too.
    plain = Pipeline([("classifier", quick(SparseAutoencoderClassifier))])
    quietly(plain.fit, X, LABELS, classifier__sample_weight=weights)
    assert_same_bits(plain.named_steps["classifier"], direct)


@pytest.mark.parametrize("model_class", MODELS)
def test_every_estimator_has_set_fit_request(model_class):
    with config_context(enable_metadata_routing=True):
        model = quick(model_class).set_fit_request(sample_weight=True)
        assert model.get_metadata_routing().fit.requests["sample_weight"] is True


# --- score's weighted mean -----------------------------------------------------


@pytest.mark.parametrize(
    "model_class",
    [
        SparseAutoencoder,
        DeepSparseAutoencoder,
        ReconstructionICA,
        TopographicSparseCoding,
    ],
)
def test_score_with_weights_is_the_weighted_mean_of_score_samples(model_class):
    model = quietly(quick(model_class).fit, X)
    weights = WEIGHTS + 0.25
    expected = np.average(model.score_samples(X), weights=weights)
    assert model.score(X, sample_weight=weights) == pytest.approx(expected, rel=1e-12)
    # Integer weights: the score of the repeated rows.
    repeated = np.repeat(X, WEIGHTS, axis=0)
    assert model.score(X, sample_weight=WEIGHTS) == pytest.approx(
        model.score(repeated), rel=1e-12
    )


# --- Dask ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "model_class",
    [
        SparseAutoencoder,
        DeepSparseAutoencoder,
        SparseAutoencoderClassifier,
        ReconstructionICA,
    ],
)
def test_dask_weights_in_x_row_chunks_fit_as_numpy_weights(model_class):
    da = pytest.importorskip("dask.array")
    weights = WEIGHTS * 0.5
    on_numpy = quietly(quick(model_class).fit, X, LABELS, sample_weight=weights)
    X_dask = da.from_array(X, chunks=(7, 6))
    on_dask = quietly(
        quick(model_class).fit,
        X_dask,
        da.from_array(LABELS, chunks=7),
        sample_weight=da.from_array(weights, chunks=7),
    )
    # On Dask a zero weight's row stays and adds zero: the same J to rounding.
    assert on_dask.n_iter_ == on_numpy.n_iter_
    assert relative_error(on_dask.loss_, on_numpy.loss_) < 1e-10
    np.testing.assert_allclose(
        np.asarray(outputs(on_dask, X)), outputs(on_numpy, X), rtol=1e-7, atol=1e-10
    )
    # score with Dask weights: the weighted mean, lazily or not.
    if model_class is not SparseAutoencoderClassifier:
        expected = on_numpy.score(X, sample_weight=weights)
        lazy = on_dask.score(
            X_dask, sample_weight=da.from_array(weights, chunks=7), compute=False
        )
        assert float(lazy.compute()) == pytest.approx(expected, rel=1e-12)


@pytest.mark.parametrize("model_class", MODELS)
def test_fit_transform_with_zero_weights_gives_the_codes_of_every_sample(
    model_class,
):
    weights = WEIGHTS.astype(float)
    model = quick(model_class)
    codes = quietly(model.fit_transform, X, LABELS, sample_weight=weights)
    assert codes.shape[0] == X.shape[0]
    np.testing.assert_allclose(codes, model.transform(X), rtol=1e-12, atol=1e-14)
