"""plot_filters and tile_filters: UFLDL's display_network as an API."""

import sys
import warnings

import numpy as np
import pytest
from sklearn.exceptions import ConvergenceWarning

from skl_sparseae import SparseAutoencoder, plot_filters
from skl_sparseae.plotting import tile_filters


def test_tiles_are_laid_out_row_by_row_with_padding():
    filters = np.arange(6 * 4, dtype=float).reshape(6, 4) + 1.0
    image = tile_filters(filters, image_shape=(2, 2), grid_shape=(2, 3), padding=1)
    assert image.shape == (2 * 2 + 1, 3 * 2 + 2)
    # Filter 4 (second row, second column), scaled per filter into [0.5, 1].
    expected = 0.5 + 0.5 * filters[4] / filters[4].max()
    np.testing.assert_allclose(image[3:5, 3:5].ravel(), expected)
    # Padding rows and columns are black.
    assert np.all(image[2, :] == 0.0)
    assert np.all(image[:, 2] == 0.0)


def test_per_filter_normalisation_uses_the_full_range():
    filters = np.array([[1.0, -1.0, 0.5, 0.0], [10.0, -10.0, 5.0, 0.0]])
    image = tile_filters(filters, image_shape=(2, 2), grid_shape=(1, 2))
    np.testing.assert_allclose(image[:, :2], image[:, 3:])
    assert image.max() == 1.0 and image[:, :2].min() == 0.0


def test_global_normalisation_keeps_relative_strength():
    filters = np.array([[1.0, -1.0, 0.5, 0.0], [10.0, -10.0, 5.0, 0.0]])
    image = tile_filters(
        filters, image_shape=(2, 2), grid_shape=(1, 2), normalize="global"
    )
    weak, strong = image[:, :2], image[:, 3:]
    assert np.ptp(weak) < np.ptp(strong)


def test_color_filters_become_rgb_tiles():
    filters = np.random.RandomState(0).randn(4, 3 * 5 * 5)
    image = tile_filters(filters)  # 75 = 3 * 5 * 5 is guessed as color
    assert image.shape == (2 * 5 + 1, 2 * 5 + 1, 3)
    np.testing.assert_allclose(
        image[:5, 6:, :].ravel(), 0.5 + 0.5 * filters[1] / np.abs(filters[1]).max()
    )


def test_accepts_a_fitted_estimator():
    X = np.random.RandomState(0).uniform(size=(30, 16))
    sae = SparseAutoencoder(n_components=4, max_iter=5, random_state=0)
    with pytest.warns(Warning):
        sae.fit(X)
    np.testing.assert_array_equal(tile_filters(sae), tile_filters(sae.components_))


def test_unfitted_estimator_is_a_clear_error():
    with pytest.raises(ValueError, match="not fitted"):
        tile_filters(SparseAutoencoder())


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"image_shape": (3, 3)}, "holds 9 values"),
        ({"image_shape": (2, 2, 4)}, r"\(height, width, 3\)"),
        ({"grid_shape": (1, 2)}, "room for 2"),
        ({"normalize": "max"}, "normalize must be"),
    ],
)
def test_bad_layouts_are_clear_errors(kwargs, message):
    with pytest.raises(ValueError, match=message):
        tile_filters(np.ones((5, 16)), **kwargs)


def test_shape_that_cannot_be_guessed_asks_for_image_shape():
    with pytest.raises(ValueError, match="pass image_shape"):
        tile_filters(np.ones((3, 10)))


def test_plot_filters_returns_a_pyplot_figure_with_the_tiled_image():
    pytest.importorskip("matplotlib")
    import matplotlib.pyplot as plt
    from matplotlib.figure import Figure

    filters = np.random.RandomState(0).randn(9, 64)
    figure = plot_filters(filters, title="filters")
    # Managed by pyplot, so that plt.show() displays it.
    assert plt.fignum_exists(figure.number)
    plt.close(figure)
    assert isinstance(figure, Figure)
    shown = figure.axes[0].images[0].get_array()
    np.testing.assert_allclose(shown, tile_filters(filters))
    assert figure.axes[0].get_title() == "filters"


def test_plot_filters_without_matplotlib_names_what_to_install(monkeypatch):
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    monkeypatch.setitem(sys.modules, "matplotlib.pyplot", None)
    with pytest.raises(ImportError) as caught:
        plot_filters(np.ones((4, 16)))
    message = str(caught.value)
    # skl_sparseae is not on the package index: no "pip install skl_sparseae"
    assert "pip install matplotlib" in message
    assert "python3 -m pip install '.[plot]'" in message
    assert "skl_sparseae[" not in message


def test_plot_mean_activations_draws_each_layer_against_its_rho():
    pytest.importorskip("matplotlib")
    import matplotlib.pyplot as plt

    from skl_sparseae import DeepSparseAutoencoder
    from skl_sparseae.plotting import plot_mean_activations

    X = np.random.RandomState(0).uniform(size=(60, 8))
    model = DeepSparseAutoencoder((5, 3), rho=(0.05, 0.2), max_iter=30, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)  # 30 iterations
        model.fit(X)
    figure = plot_mean_activations(model, title="units")
    try:
        assert len(figure.axes) == 4
        for row, (layer, rho) in enumerate(
            zip(model.mean_activation_, (0.05, 0.2), strict=True)
        ):
            units, density = figure.axes[2 * row], figure.axes[2 * row + 1]
            # The sorted mean activations, and the layer's rho on both views.
            np.testing.assert_array_equal(units.lines[0].get_ydata(), np.sort(layer))
            assert units.lines[1].get_ydata()[0] == rho
            assert density.lines[0].get_xdata()[0] == np.log10(rho)
    finally:
        plt.close(figure)


def test_plot_mean_activations_needs_a_fitted_autoencoder():
    pytest.importorskip("matplotlib")
    from skl_sparseae.plotting import plot_mean_activations

    with pytest.raises(ValueError, match="has no mean_activation_"):
        plot_mean_activations(SparseAutoencoder())
