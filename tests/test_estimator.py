"""SparseAutoencoder's behaviour as a user sees it."""

import pickle
import threading
import warnings

import numpy as np
import pytest
import scipy.sparse as sp
from helpers import blas_threads, hyperparameters, unit_data, warned_from
from scipy.special import expit
from sklearn.datasets import load_digits
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV, train_test_split
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import MinMaxScaler
from sklearn.utils import estimator_html_repr
from threadpoolctl import threadpool_limits

from skl_sparseae import DeepSparseAutoencoder, SparseAutoencoder, check_gradient
from skl_sparseae import _optimize as optimize_module
from skl_sparseae import _sparse_autoencoder as estimator_module
from skl_sparseae._reference import loss_grad_reference


def quick(**params):
    params.setdefault("n_components", 5)
    params.setdefault("max_iter", 60)
    params.setdefault("random_state", 0)
    return SparseAutoencoder(**params)


def fit_quietly(estimator, X):
    with pytest.warns(ConvergenceWarning):
        return estimator.fit(X)


@pytest.fixture
def runtime_warnings_are_errors():
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        yield


# Defaults ---------------------------------------------------------------


def test_model_defaults_follow_the_ufldl_exercise():
    params = SparseAutoencoder().get_params()
    assert params["rho"] == 0.01
    assert params["beta"] == 3
    assert params["alpha"] == 1e-4
    assert params["n_components"] == 25
    assert params["loss"] == "squared_error"
    assert params["decoder_activation"] == "logistic"
    assert params["tied_weights"] is False


def test_stopping_defaults_are_relative_and_leave_room_to_converge():
    # UFLDL stops after 400 iterations whatever J does (max_iter=400, tol=0);
    # the default stops when J levels off, within a generous max_iter.
    params = SparseAutoencoder().get_params()
    assert params["tol"] == 1e-4
    assert params["max_iter"] == 2000


# Fitted attributes --------------------------------------------------------


@pytest.mark.parametrize("tied", [False, True])
def test_fitted_attributes_have_documented_shapes(tied):
    X = unit_data()
    sae = fit_quietly(quick(tied_weights=tied), X)
    assert sae.components_.shape == (5, 8)
    assert sae.intercept_hidden_.shape == (5,)
    assert sae.decoder_components_.shape == (5, 8)
    assert sae.intercept_visible_.shape == (8,)
    assert sae.n_features_in_ == 8
    assert sae.n_iter_ == len(sae.loss_curve_) == 60
    assert isinstance(sae.loss_, float)


def test_tied_weights_decoder_equals_encoder():
    sae = fit_quietly(quick(tied_weights=True), unit_data())
    np.testing.assert_array_equal(sae.decoder_components_, sae.components_)


def test_untied_decoder_differs_from_encoder():
    sae = fit_quietly(quick(), unit_data())
    assert not np.allclose(sae.decoder_components_, sae.components_)


@pytest.mark.parametrize(
    "loss, decoder, tied",
    [
        ("squared_error", "logistic", False),
        ("squared_error", "identity", True),
        ("cross_entropy", "logistic", False),
    ],
)
def test_loss_is_the_objective_at_the_returned_parameters(loss, decoder, tied):
    X = unit_data()
    sae = fit_quietly(
        quick(loss=loss, decoder_activation=decoder, tied_weights=tied, beta=1.0), X
    )
    J, _ = loss_grad_reference(
        sae._packed_parameters(),
        X,
        n_components=5,
        rho=sae.rho,
        beta=sae.beta,
        alpha=sae.alpha,
        loss=loss,
        decoder_activation=decoder,
        tied_weights=tied,
    )
    assert sae.loss_ == pytest.approx(J, rel=1e-12)
    assert sae.loss_curve_[-1] == pytest.approx(J, rel=1e-12)


def test_loss_curve_decreases_overall():
    sae = fit_quietly(quick(), unit_data())
    curve = np.array(sae.loss_curve_)
    assert curve[-1] < curve[0]
    # L-BFGS-B accepts only points that decrease J.
    assert np.all(np.diff(curve) <= 1e-12 * np.abs(curve[:-1]))


# transform, inverse_transform, fit_transform, score ------------------------


def test_transform_is_the_logistic_encoder():
    X = unit_data()
    sae = fit_quietly(quick(), X)
    expected = expit(X @ sae.components_.T + sae.intercept_hidden_)
    np.testing.assert_allclose(sae.transform(X), expected, rtol=1e-12)


@pytest.mark.parametrize("decoder", ["logistic", "identity"])
def test_inverse_transform_is_the_decoder(decoder):
    X = unit_data()
    sae = fit_quietly(quick(decoder_activation=decoder), X)
    H = sae.transform(X)
    Z = H @ sae.decoder_components_ + sae.intercept_visible_
    expected = expit(Z) if decoder == "logistic" else Z
    np.testing.assert_allclose(sae.inverse_transform(H), expected, rtol=1e-12)


def test_fit_transform_equals_fit_then_transform():
    X = unit_data()
    H_fit_transform = quick(max_iter=500).fit_transform(X)
    H_transform = quick(max_iter=500).fit(X).transform(X)
    np.testing.assert_allclose(H_fit_transform, H_transform, rtol=1e-12)


def test_fit_transform_does_not_repeat_the_forward_pass(monkeypatch):
    calls = []
    original = SparseAutoencoder._encode

    def counting_encode(self, X, ops):
        calls.append(X.shape)
        return original(self, X, ops)

    monkeypatch.setattr(SparseAutoencoder, "_encode", counting_encode)
    quick(max_iter=500).fit_transform(unit_data())
    assert calls == []


@pytest.mark.filterwarnings("ignore:.*dead and .* saturated of:UserWarning")
def test_fit_transform_after_a_stall_returns_the_codes_of_the_fit():
    # The stall warning's advice evaluates J at the start, in the buffers
    # whose hidden activations fit_transform may return: the codes must still
    # be those of the fitted parameters.
    X = (unit_data(30, 8, seed=1) * 100).astype(np.float32)
    model = SparseAutoencoder(
        n_components=5, max_iter=200, random_state=1, decoder_activation="identity"
    )
    with pytest.warns(ConvergenceWarning, match="line search"):
        H = model.fit_transform(X)
    np.testing.assert_array_equal(H, model.transform(X))


def test_score_is_negative_mean_reconstruction_loss():
    X = unit_data()
    sae = fit_quietly(quick(), X)
    X_hat = sae.inverse_transform(sae.transform(X))
    expected = -np.mean(0.5 * np.sum((X_hat - X) ** 2, axis=1))
    assert sae.score(X) == pytest.approx(expected, rel=1e-12)


def test_score_cross_entropy():
    X = unit_data()
    sae = fit_quietly(quick(loss="cross_entropy"), X)
    X_hat = sae.inverse_transform(sae.transform(X))
    per_sample = -np.sum(X * np.log(X_hat) + (1 - X) * np.log(1 - X_hat), axis=1)
    assert sae.score(X) == pytest.approx(-per_sample.mean(), rel=1e-10)


def test_score_is_higher_after_more_training():
    X = unit_data()
    with pytest.warns(ConvergenceWarning):
        barely = quick(max_iter=2, beta=0.0).fit(X)
    trained = quick(max_iter=500, beta=0.0).fit(X)
    assert trained.score(X) > barely.score(X)


def test_sparsity_penalty_drives_mean_activation_towards_rho():
    X = unit_data(n_samples=200)
    sparse_model = quick(max_iter=500, rho=0.05, beta=3.0).fit(X)
    free_model = quick(max_iter=500, rho=0.05, beta=0.0).fit(X)
    rho_hat_sparse = sparse_model.transform(X).mean(axis=0)
    rho_hat_free = free_model.transform(X).mean(axis=0)
    assert np.abs(rho_hat_sparse - 0.05).max() < 0.02
    assert np.abs(rho_hat_free - 0.05).mean() > 0.1


# Training -----------------------------------------------------------------


def test_same_random_state_gives_bit_identical_fit():
    X = unit_data()
    a = fit_quietly(quick(random_state=7), X)
    b = fit_quietly(quick(random_state=7), X)
    for name in ["components_", "decoder_components_", "intercept_hidden_"]:
        np.testing.assert_array_equal(getattr(a, name), getattr(b, name))
    assert a.loss_curve_ == b.loss_curve_


def test_different_random_state_gives_different_fit():
    X = unit_data()
    a = fit_quietly(quick(random_state=1), X)
    b = fit_quietly(quick(random_state=2), X)
    assert not np.allclose(a.components_, b.components_)


def test_convergence_warning_when_max_iter_runs_out():
    with pytest.warns(ConvergenceWarning, match="max_iter=3"):
        quick(max_iter=3).fit(unit_data())


def test_convergence_warning_names_the_evaluation_budget_when_it_runs_out(
    monkeypatch,
):
    # maxfun = 0.05 * 40 = 2 evaluations for 40 allowed iterations: L-BFGS-B
    # stops on evaluations, long before max_iter.
    monkeypatch.setattr(optimize_module, "EVALUATIONS_PER_ITERATION", 0.05)
    with pytest.warns(ConvergenceWarning, match="evaluations of the objective") as w:
        model = quick(max_iter=40).fit(unit_data())
    assert model.n_iter_ < 40
    assert "(max_iter=40)" not in str(w[0].message)


def test_no_convergence_warning_when_converged(recwarn):
    quick(max_iter=2000, tol=1e-3).fit(unit_data())
    assert not [w for w in recwarn if issubclass(w.category, ConvergenceWarning)]


def progress_lines(out):
    return [line for line in out.splitlines() if "] iteration " in line]


def test_verbose_2_prints_one_line_per_iteration(capsys):
    sae = fit_quietly(quick(max_iter=5, verbose=2), unit_data())
    lines = progress_lines(capsys.readouterr().out)
    assert len(lines) == sae.n_iter_ == 5
    for number, (line, J) in enumerate(zip(lines, sae.loss_curve_, strict=True), 1):
        assert line.startswith(
            "[SparseAutoencoder(max_iter=5, n_components=5, random_state=0)] "
        )
        assert f"iteration {number}/5: " in line
        assert "J = " in line and "|grad| = " in line and "mean rho_hat = " in line
        assert line.endswith(" s")
        assert float(line.split("J = ")[1].split(",")[0]) == pytest.approx(J, rel=1e-7)


def test_verbose_1_prints_every_tenth_iteration_and_the_stop_reason(capsys):
    sae = quick(max_iter=500, verbose=1, tol=1e-3).fit(unit_data())
    out = capsys.readouterr().out
    numbers = [
        int(line.split("iteration ")[1].split("/")[0]) for line in progress_lines(out)
    ]
    assert numbers == [1] + list(range(10, sae.n_iter_ + 1, 10))
    final, units = out.splitlines()[-2:]
    assert final.startswith("[SparseAutoencoder(")
    assert "converged: J fell by less than tol=0.001" in final
    assert f"after {sae.n_iter_} iterations" in final
    assert "STOP" not in out and "CONVERGENCE" not in out
    # Then what the hidden units did.
    assert units.startswith("[SparseAutoencoder(")
    assert "hidden units: 5 units, mean activation" in units
    assert "0 dead, 0 saturated" in units


def test_verbose_final_line_says_max_iter_in_words(capsys):
    fit_quietly(quick(max_iter=3, verbose=1), unit_data())
    final = capsys.readouterr().out.splitlines()[-2]
    assert "stopped after 3 iterations (max_iter=3)" in final


def test_silent_by_default(capsys):
    fit_quietly(quick(max_iter=5), unit_data())
    assert capsys.readouterr().out == ""


# Input types --------------------------------------------------------------


def test_float32_trains_and_transforms_in_float32():
    X = unit_data().astype(np.float32)
    sae = fit_quietly(quick(), X)
    assert sae.components_.dtype == np.float32
    H = sae.transform(X)
    assert H.dtype == np.float32
    with pytest.warns(ConvergenceWarning):
        assert quick().fit_transform(X).dtype == np.float32
    assert sae.inverse_transform(H).dtype == np.float32


def test_float64_model_keeps_float32_input_in_float32():
    X = unit_data()
    sae = fit_quietly(quick(), X)
    X32 = X.astype(np.float32)
    assert sae.transform(X32).dtype == np.float32
    assert sae.inverse_transform(sae.transform(X32)).dtype == np.float32


@pytest.mark.parametrize("sparse_format", ["csr", "csc"])
def test_sparse_input_gives_the_dense_result(sparse_format):
    X_sparse = sp.random(60, 10, density=0.3, format=sparse_format, random_state=0)
    X_dense = X_sparse.toarray()
    # Objective and gradient agree to 1e-10 (test_gradient.py); 20 L-BFGS
    # iterations amplify that rounding only mildly.
    dense = fit_quietly(quick(max_iter=20, tol=0), X_dense)
    sparse = fit_quietly(quick(max_iter=20, tol=0), X_sparse)
    np.testing.assert_allclose(sparse.components_, dense.components_, atol=1e-8)
    np.testing.assert_allclose(sparse.loss_, dense.loss_, rtol=1e-10)
    np.testing.assert_allclose(
        sparse.transform(X_sparse), dense.transform(X_dense), atol=1e-8
    )
    assert sparse.score(X_sparse) == pytest.approx(dense.score(X_dense), rel=1e-8)


def test_duplicate_sparse_entries_fit_like_their_dense_sum():
    X = sp.csr_matrix(([0.3, 0.3, 0.5], [1, 1, 2], [0, 2, 3]), shape=(2, 3))
    dense = SparseAutoencoder(n_components=2, random_state=0, max_iter=5, tol=0)
    sparse = SparseAutoencoder(n_components=2, random_state=0, max_iter=5, tol=0)
    with pytest.warns(ConvergenceWarning):
        dense.fit(X.toarray())
    with pytest.warns(ConvergenceWarning):
        sparse.fit(X)
    np.testing.assert_allclose(sparse.components_, dense.components_, rtol=1e-12)


def test_pandas_feature_names_flow_through():
    pd = pytest.importorskip("pandas")
    X = pd.DataFrame(unit_data(), columns=[f"pixel{i}" for i in range(8)])
    sae = fit_quietly(quick(), X)
    np.testing.assert_array_equal(sae.feature_names_in_, X.columns)
    names = sae.get_feature_names_out()
    assert list(names) == [f"sparseautoencoder{i}" for i in range(5)]
    sae.set_output(transform="pandas")
    H = sae.transform(X)
    assert isinstance(H, pd.DataFrame)
    assert list(H.columns) == list(names)


def test_pickle_round_trip_gives_identical_transform():
    X = unit_data()
    sae = fit_quietly(quick(), X)
    clone = pickle.loads(pickle.dumps(sae))
    np.testing.assert_array_equal(clone.transform(X), sae.transform(X))


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_fit_does_not_copy_c_contiguous_float_input(dtype, monkeypatch):
    X = unit_data(300, 20, margin=0.02).astype(dtype)
    seen = []
    original = estimator_module.SparseAutoencoderObjective

    def recording_objective(X_fit, **kwargs):
        seen.append(X_fit)
        return original(X_fit, **kwargs)

    monkeypatch.setattr(
        estimator_module, "SparseAutoencoderObjective", recording_objective
    )
    SparseAutoencoder(n_components=5, max_iter=5).fit(X)
    assert seen[0] is X or np.shares_memory(seen[0], X)


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_fit_with_chunks_equals_fit_without():
    X = unit_data(500, 20, margin=0.02)
    whole = SparseAutoencoder(
        n_components=6, max_iter=15, random_state=0, chunk_size=None
    )
    chunked = SparseAutoencoder(
        n_components=6, max_iter=15, random_state=0, chunk_size=7
    )
    whole.fit(X)
    chunked.fit(X)
    np.testing.assert_allclose(chunked.loss_curve_, whole.loss_curve_, rtol=1e-9)
    np.testing.assert_allclose(
        chunked.components_, whole.components_, rtol=1e-6, atol=1e-9
    )


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_float32_fit_ends_within_1e3_of_float64_objective():
    X = unit_data(500, 20, margin=0.02)
    fit64 = SparseAutoencoder(n_components=6, max_iter=100, random_state=0).fit(X)
    fit32 = SparseAutoencoder(n_components=6, max_iter=100, random_state=0).fit(
        X.astype(np.float32)
    )
    J32_in_float64, _ = loss_grad_reference(
        fit32._packed_parameters(),
        X,
        **hyperparameters("squared_error", "logistic", False, n_components=6)
        | {"rho": 0.01, "alpha": 1e-4},
    )
    assert abs(J32_in_float64 - fit64.loss_) <= 1e-3 * fit64.loss_


# Bad input ----------------------------------------------------------------


@pytest.mark.parametrize(
    "X, message",
    [
        (np.array([[0.1, np.nan], [0.2, 0.3]]), "NaN"),
        (np.array([[0.1, np.inf], [0.2, 0.3]]), "infinity"),
        (np.array([[0.1 + 1j, 0.2], [0.2, 0.3]]), "[Cc]omplex"),
        (np.empty((0, 3)), "0 sample"),
        (np.empty((3, 0)), "0 feature"),
        (np.array([0.1, 0.2, 0.3]), "2D array"),
    ],
    ids=["nan", "inf", "complex", "no-samples", "no-features", "1d"],
)
def test_bad_data_is_rejected_at_fit(X, message):
    with pytest.raises(ValueError, match=message):
        quick().fit(X)


def test_wrong_number_of_features_at_transform():
    sae = fit_quietly(quick(), unit_data())
    with pytest.raises(ValueError, match="8 features"):
        sae.transform(unit_data(n_features=7))
    with pytest.raises(ValueError, match="8 features"):
        sae.score(unit_data(n_features=7))


def test_wrong_width_at_inverse_transform():
    sae = fit_quietly(quick(), unit_data())
    with pytest.raises(ValueError, match="X has 4 columns.*5 units in its code layer"):
        sae.inverse_transform(np.zeros((3, 4)))


def test_nan_codes_rejected_at_inverse_transform():
    sae = fit_quietly(quick(), unit_data())
    with pytest.raises(ValueError, match="NaN"):
        sae.inverse_transform(np.full((3, 5), np.nan))


@pytest.mark.parametrize(
    "params",
    [
        {"rho": 0.0},
        {"rho": 1.0},
        {"rho": -0.1},
        {"rho": 1.5},
        {"beta": -1.0},
        {"alpha": -1e-4},
        {"n_components": 0},
        {"loss": "hinge"},
        {"decoder_activation": "relu"},
        {"max_iter": 0},
        {"tol": -1.0},
    ],
    ids=str,
)
def test_invalid_hyperparameters_are_rejected(params):
    with pytest.raises(ValueError, match=list(params)[0]):
        quick(**params).fit(unit_data())


@pytest.mark.parametrize("name", ["n_components", "max_iter", "chunk_size"])
def test_booleans_are_not_integers(name):
    with pytest.raises(ValueError, match=name):
        SparseAutoencoder(**{name: True}).fit(unit_data())


def test_chunk_size_is_validated():
    with pytest.raises(ValueError, match="chunk_size"):
        SparseAutoencoder(chunk_size=0).fit(unit_data(300, 20, margin=0.02))
    with pytest.raises(ValueError, match="chunk_size"):
        SparseAutoencoder(chunk_size="big").fit(unit_data(300, 20, margin=0.02))


def test_cross_entropy_needs_data_in_unit_interval():
    X = unit_data() * 4.2 - 0.3
    with pytest.raises(ValueError, match=r"cross_entropy loss needs X in \[0, 1\]"):
        quick(loss="cross_entropy").fit(X)


def test_cross_entropy_needs_logistic_decoder():
    with pytest.raises(ValueError, match="decoder_activation='logistic'"):
        quick(loss="cross_entropy", decoder_activation="identity").fit(unit_data())


def test_rules_between_parameters_are_checked_before_the_data():
    # A bad combination is named even when X is bad too (fit and
    # check_gradient check parameters first).
    model = SparseAutoencoder(loss="cross_entropy", decoder_activation="identity")
    bad_X = np.full((5, 3), 7.0)
    with pytest.raises(ValueError, match="needs decoder_activation='logistic'"):
        model.fit(bad_X)
    with pytest.raises(ValueError, match="needs decoder_activation='logistic'"):
        check_gradient(model, bad_X)
    with pytest.raises(ValueError, match="needs decoder_activation='logistic'"):
        check_gradient(
            DeepSparseAutoencoder(
                (3,), loss="cross_entropy", decoder_activation="identity"
            ),
            bad_X,
        )


def test_cross_entropy_checks_sparse_data_range():
    X = sp.random(20, 5, density=0.5, format="csr", random_state=0)
    X.data -= 2.0
    with pytest.raises(ValueError, match=r"X in \[0, 1\]"):
        quick(loss="cross_entropy").fit(X)


def test_cross_entropy_range_check_sums_duplicate_sparse_entries():
    X = sp.csr_matrix(([0.7, 0.7], [1, 1], [0, 2]), shape=(1, 3))
    with pytest.raises(ValueError, match=r"max=1\.4"):
        SparseAutoencoder(loss="cross_entropy").fit(X)


def test_cross_entropy_range_message_shows_every_digit():
    X = np.array([[0.5, 1 + 1e-12], [0.2, 0.3]])
    with pytest.raises(ValueError, match=r"max=1\.000000000001"):
        SparseAutoencoder(loss="cross_entropy").fit(X)


@pytest.mark.filterwarnings("ignore:.*dead and .* saturated of:UserWarning")
@pytest.mark.parametrize("decoder", ["logistic", "identity"])
@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
@pytest.mark.filterwarnings("ignore:.*the logistic decoder only outputs:UserWarning")
def test_huge_inputs_saturate_without_nan(decoder):
    # Inputs of 1e4 saturate every hidden unit; the fit must stay finite.
    X = unit_data() * 1e4
    sae = quick(decoder_activation=decoder, max_iter=20).fit(X)
    assert np.isfinite(sae.loss_)
    assert np.all(np.isfinite(sae.components_))
    assert np.all(np.isfinite(sae.transform(X)))


@pytest.mark.parametrize("name", ["alpha", "beta"])
def test_huge_penalty_weight_is_named_in_the_error(name, runtime_warnings_are_errors):
    with pytest.raises(ValueError, match=f"{name}=1e\\+300 is too large"):
        SparseAutoencoder(random_state=0, **{name: 1e300}).fit(unit_data())


def test_no_runtime_warning_from_extreme_inputs(runtime_warnings_are_errors):
    X = np.full((20, 4), 1e30, dtype=np.float32)
    with pytest.raises(ValueError, match="not finite|overflowed"):
        SparseAutoencoder(n_components=3, decoder_activation="identity").fit(X)
    model = SparseAutoencoder(n_components=3, random_state=0).fit(unit_data(20, 4))
    assert np.all(np.isfinite(model.transform(np.full((5, 4), 1e300))))
    # In float32, 3e38 * 10 overflows to +inf and -3e38 * 10 to -inf: their
    # sum is NaN, which transform must not return.
    model.components_ = np.full_like(model.components_, 10.0)
    opposite = np.array([[3e38, -3e38, 0.0, 0.0]], dtype=np.float32)
    with pytest.raises(ValueError, match="transform overflowed to NaN"):
        model.transform(opposite)
    assert model.score(np.full((5, 4), 1e200)) == -np.inf
    with pytest.raises(ValueError, match="not finite"):
        check_gradient(model, np.full((3, 4), 1e300), random_state=0)


# Fits in several threads at once ---------------------------------------------


# Fits of a fixed number of iterations, in threads: warning filters are the
# process's, so the expected warning is let through here, not in each thread.
@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
@pytest.mark.parametrize("limit", [None, 1])
def test_concurrent_fits_and_transforms_equal_serial_ones(limit):
    datasets = [unit_data(700, 12, seed=seed) for seed in range(4)]

    def fit(X, seed):
        model = SparseAutoencoder(n_components=4, random_state=seed, max_iter=25, tol=0)
        return model.fit(X)

    serial = [fit(X, seed) for seed, X in enumerate(datasets)]
    serial_codes = [
        model.transform(X) for model, X in zip(serial, datasets, strict=True)
    ]
    before = blas_threads()
    results = [None] * len(datasets)

    def work(seed):
        model = fit(datasets[seed], seed)
        results[seed] = (model, model.transform(datasets[seed]))

    def run_all():
        threads = [threading.Thread(target=work, args=(i,)) for i in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()

    if limit is None:
        run_all()
    else:
        with threadpool_limits(limit):
            run_all()
    assert blas_threads() == before
    for (model, codes), reference, reference_codes in zip(
        results, serial, serial_codes, strict=True
    ):
        np.testing.assert_array_equal(model.components_, reference.components_)
        np.testing.assert_array_equal(codes, reference_codes)


# In a scikit-learn workflow -------------------------------------------------


def test_pipeline_grid_search_on_digits_gives_sensible_accuracy():
    X, y = load_digits(return_X_y=True)
    X_train, X_test, y_train, y_test = train_test_split(
        X, y, test_size=0.3, random_state=0, stratify=y
    )
    pipeline = Pipeline(
        [
            ("scale", MinMaxScaler()),
            ("sae", SparseAutoencoder(n_components=48, max_iter=60, random_state=0)),
            ("clf", LogisticRegression(max_iter=1000)),
        ]
    )
    search = GridSearchCV(
        pipeline, {"sae__rho": [0.05, 0.2], "sae__beta": [0.1, 1.0]}, cv=2
    )
    with pytest.warns(ConvergenceWarning):
        search.fit(X_train, y_train)
    assert set(search.best_params_) == {"sae__rho", "sae__beta"}
    assert search.score(X_test, y_test) > 0.9


# What a new user meets first: warnings at their own line, unscaled data
# flagged, the docs one click away ---------------------------------------------


@pytest.mark.parametrize("method", ["fit", "fit_transform", "pipeline"])
def test_convergence_warning_points_at_the_users_line(method):
    model = SparseAutoencoder(n_components=3, max_iter=2, random_state=0)
    X = unit_data()
    with pytest.warns(ConvergenceWarning) as record:
        if method == "pipeline":
            make_pipeline(MinMaxScaler(), model).fit(X)
        else:
            getattr(model, method)(X)
    assert warned_from(record, ConvergenceWarning) == {__file__}


def test_range_and_units_warnings_point_at_the_users_line():
    with pytest.warns(UserWarning) as record:
        SparseAutoencoder(n_components=3, max_iter=200, random_state=0).fit(
            unit_data() * 100
        )
    assert warned_from(record, UserWarning, "logistic decoder") == {__file__}
    # Such data leaves units dead or saturated, and that warning points here
    # too.
    assert warned_from(record, UserWarning, r"dead and \d saturated of 3 units") == {
        __file__
    }


@pytest.mark.parametrize("scale", [16.0, 1e6, -1.0])
# Such data also leaves units saturated, rightly reported.
@pytest.mark.filterwarnings("ignore:.*dead and .* saturated of:UserWarning")
def test_data_outside_the_logistic_decoders_range_is_flagged(scale):
    X = unit_data() * scale
    with pytest.warns(
        UserWarning, match=r"MinMaxScaler.*decoder_activation='identity'"
    ):
        SparseAutoencoder(n_components=3, max_iter=200).fit(X)


# Such data may also leave units dead or saturated, rightly reported.
@pytest.mark.filterwarnings("ignore:.*dead and .* saturated of:UserWarning")
def test_raw_digits_are_flagged_and_scaled_digits_are_not():
    X = load_digits().data[:200]
    with pytest.warns(UserWarning, match=r"X ranges over \[0, 16\]"):
        SparseAutoencoder(n_components=5, max_iter=300).fit(X)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        SparseAutoencoder(n_components=5, random_state=0).fit(
            MinMaxScaler().fit_transform(X)
        )


def test_identity_decoder_takes_any_range_without_a_warning():
    # Only the range warning is in question: whether this fit converges
    # within max_iter (a ConvergenceWarning, also a UserWarning) is not.
    with warnings.catch_warnings():
        warnings.simplefilter("error", UserWarning)
        warnings.simplefilter("ignore", ConvergenceWarning)
        SparseAutoencoder(
            n_components=3, decoder_activation="identity", max_iter=500
        ).fit(unit_data() * 16 - 8)


def test_inverse_transform_takes_X_like_scikit_learns_transformers():
    model = SparseAutoencoder(n_components=3, random_state=0).fit(unit_data())
    H = model.transform(unit_data())
    np.testing.assert_array_equal(
        model.inverse_transform(X=H), model.inverse_transform(H)
    )
    assert not hasattr(model, "set_inverse_transform_request")


def test_n_components_is_documented():
    assert "n_components_ : int" in SparseAutoencoder.__doc__


def test_html_repr_links_to_the_api_page():
    link = SparseAutoencoder()._get_doc_link()
    assert link.startswith("https://")
    assert link.endswith("generated/skl_sparseae.SparseAutoencoder.html")
    assert link in estimator_html_repr(SparseAutoencoder())
