"""Pictures of learned filters: UFLDL's ``display_network`` as an API.

matplotlib is an optional dependency: ``pip install matplotlib``, or
``python3 -m pip install ".[plot]"`` from a clone.
"""

import numpy as np

_NORMALIZATIONS = ("per_filter", "global", None)


def _components_of(estimator_or_components):
    components = getattr(estimator_or_components, "components_", None)
    if components is None:
        if hasattr(estimator_or_components, "get_params"):
            raise ValueError(
                "This estimator is not fitted yet (it has no components_): call "
                "fit first, or pass an array of filters."
            )
        components = estimator_or_components
    components = np.asarray(components, dtype=np.float64)
    if components.ndim != 2:
        raise ValueError(
            "Filters must be a 2-d array of shape (n_filters, n_features); got "
            f"shape {components.shape}."
        )
    if not np.all(np.isfinite(components)):
        raise ValueError("Filters contain NaN or infinity.")
    return components


def _pyplot(caller):
    """matplotlib.pyplot, or an error that says ``caller`` needs it."""
    try:
        import matplotlib.pyplot as plt
    except ImportError as error:
        raise ImportError(
            f"{caller} needs matplotlib, an optional dependency: "
            "pip install matplotlib (or, from a clone of skl_sparseae, "
            "python3 -m pip install '.[plot]')"
        ) from error
    return plt


def _infer_image_shape(n_features):
    side = int(round(np.sqrt(n_features)))
    if side * side == n_features:
        return (side, side)
    side = int(round(np.sqrt(n_features / 3)))
    if 3 * side * side == n_features:
        return (side, side, 3)
    raise ValueError(
        f"Cannot guess the image shape of {n_features} features (neither h*h "
        "nor 3*h*h): pass image_shape=(height, width) or (height, width, 3)."
    )


def tile_filters(
    estimator_or_components,
    *,
    image_shape=None,
    grid_shape=None,
    normalize="per_filter",
    padding=1,
):
    """Tile filters into one image, as UFLDL's ``display_network`` does.

    Each filter (a row of ``components_``) is reshaped to ``image_shape`` and
    scaled into [0, 1], with 0.5 for a zero weight; the tiles are laid out on a
    grid separated by ``padding`` pixels of black.

    Parameters
    ----------
    estimator_or_components : estimator or array-like of shape (n_filters, n_features)
        A fitted estimator with ``components_`` (such as SparseAutoencoder),
        or the filters themselves, one per row.
    image_shape : tuple of int, default=None
        ``(height, width)`` for grayscale or ``(height, width, 3)`` for color
        filters, whose features are the flattened ``(height, width, 3)``
        array. None guesses a square gray or square color image.
    grid_shape : tuple of int, default=None
        ``(n_rows, n_cols)`` of the tiling; None makes a near-square grid.
    normalize : {"per_filter", "global"} or None, default="per_filter"
        ``"per_filter"`` divides each filter by its own largest absolute
        value (UFLDL's choice: every filter uses the full gray range);
        ``"global"`` divides all by the largest absolute value of any filter,
        so that strengths can be compared; None clips values to [-1, 1].
    padding : int, default=1
        Pixels between tiles.

    Returns
    -------
    image : ndarray of shape (H, W) or (H, W, 3)
        Values in [0, 1]; padding is 0.

    Examples
    --------
    >>> import numpy as np
    >>> from skl_sparseae.plotting import tile_filters
    >>> tile_filters(np.random.RandomState(0).randn(6, 16), grid_shape=(2, 3)).shape
    (9, 14)
    """
    components = _components_of(estimator_or_components)
    n_filters, n_features = components.shape
    if normalize not in _NORMALIZATIONS:
        raise ValueError(
            f"normalize must be 'per_filter', 'global' or None; got {normalize!r}."
        )
    image_shape = (
        _infer_image_shape(n_features) if image_shape is None else tuple(image_shape)
    )
    if len(image_shape) not in (2, 3) or (
        len(image_shape) == 3 and image_shape[2] != 3
    ):
        raise ValueError(
            "image_shape must be (height, width) or (height, width, 3); got "
            f"{image_shape}."
        )
    if int(np.prod(image_shape)) != n_features:
        raise ValueError(
            f"image_shape {image_shape} holds {int(np.prod(image_shape))} values, "
            f"but each filter has {n_features}."
        )
    if grid_shape is None:
        n_cols = int(np.ceil(np.sqrt(n_filters)))
        grid_shape = (int(np.ceil(n_filters / n_cols)), n_cols)
    n_rows, n_cols = grid_shape
    if n_rows * n_cols < n_filters:
        raise ValueError(
            f"grid_shape {tuple(grid_shape)} has room for {n_rows * n_cols} "
            f"filters, fewer than the {n_filters} given."
        )

    if normalize == "per_filter":
        scale = np.abs(components).max(axis=1, keepdims=True)
    elif normalize == "global":
        scale = np.full((n_filters, 1), np.abs(components).max())
    else:
        scale = np.ones((n_filters, 1))
    scaled = np.clip(components / np.where(scale > 0, scale, 1.0), -1.0, 1.0)
    tiles = 0.5 + 0.5 * scaled.reshape((n_filters,) + image_shape)

    height, width = image_shape[:2]
    canvas = np.zeros(
        (
            n_rows * height + (n_rows - 1) * padding,
            n_cols * width + (n_cols - 1) * padding,
        )
        + image_shape[2:]
    )
    for index, tile in enumerate(tiles):
        row, col = divmod(index, n_cols)
        top, left = row * (height + padding), col * (width + padding)
        canvas[top : top + height, left : left + width] = tile
    return canvas


def plot_filters(
    estimator_or_components,
    *,
    image_shape=None,
    grid_shape=None,
    normalize="per_filter",
    padding=1,
    title=None,
    figsize=None,
):
    """Show filters as a grid of small images; returns a matplotlib Figure.

    The picture UFLDL's ``display_network`` draws: row ``j`` of
    ``components_`` is hidden unit ``j``'s filter, the input pattern that
    excites it most for a given norm. See
    :func:`~skl_sparseae.plotting.tile_filters` for the layout and the
    normalisation.

    Parameters
    ----------
    estimator_or_components : estimator or array-like of shape (n_filters, n_features)
        A fitted estimator with ``components_``, or the filters, one per row.
    image_shape : tuple of int, default=None
        ``(height, width)`` (gray) or ``(height, width, 3)`` (color).
    grid_shape : tuple of int, default=None
        ``(n_rows, n_cols)``; None makes a near-square grid.
    normalize : {"per_filter", "global"} or None, default="per_filter"
        How filters are scaled into the gray (or color) range.
    padding : int, default=1
        Pixels between tiles.
    title : str, default=None
        Figure title.
    figsize : tuple of float, default=None
        Figure size in inches; None picks one from the grid.

    Returns
    -------
    figure : matplotlib.figure.Figure
        A new pyplot figure: ``plt.show()`` displays it, ``figure.savefig``
        saves it.

    Examples
    --------
    >>> import numpy as np
    >>> from skl_sparseae import plot_filters
    >>> figure = plot_filters(np.random.RandomState(0).randn(25, 64))
    >>> type(figure).__name__
    'Figure'
    >>> import matplotlib.pyplot as plt
    >>> plt.close(figure)
    """
    plt = _pyplot("plot_filters")

    image = tile_filters(
        estimator_or_components,
        image_shape=image_shape,
        grid_shape=grid_shape,
        normalize=normalize,
        padding=padding,
    )
    if figsize is None:
        longest = max(image.shape[:2])
        figsize = (6.0 * image.shape[1] / longest, 6.0 * image.shape[0] / longest)
    # A pyplot figure, so that plt.show(), notebooks and sphinx-gallery see it.
    figure, axes = plt.subplots(figsize=figsize)
    if image.ndim == 2:
        axes.imshow(image, cmap="gray", vmin=0.0, vmax=1.0, interpolation="nearest")
    else:
        axes.imshow(image, interpolation="nearest")
    axes.set_axis_off()
    if title is not None:
        axes.set_title(title)
    figure.tight_layout()
    return figure


def plot_mean_activations(estimator, *, title=None, figsize=None):
    """Each hidden unit's mean activation against the target ``rho``.

    Two views of the fitted ``mean_activation_`` (the ``rho_hat_j`` of each
    unit over the training set), one row per encoder layer:

    - the units sorted by mean activation, on a log scale, with the layer's
      target ``rho`` and the zones of dead (below 0.001) and saturated
      (above 0.999) units: the check UFLDL's exercise asks for, that the
      sparsity penalty brought every ``rho_hat_j`` near ``rho``;
    - a histogram of the log10 mean activations: the "feature density" view
      of interpretability tools, where dead units pile up on the left.

    Parameters
    ----------
    estimator : SparseAutoencoder or DeepSparseAutoencoder
        A fitted autoencoder with ``mean_activation_``.
    title : str, default=None
        Figure title.
    figsize : tuple of float, default=None
        Figure size in inches; None picks one from the number of layers.

    Returns
    -------
    figure : matplotlib.figure.Figure
        A new pyplot figure.

    Examples
    --------
    >>> from sklearn.datasets import load_digits
    >>> from skl_sparseae import SparseAutoencoder
    >>> from skl_sparseae.plotting import plot_mean_activations
    >>> X = load_digits().data / 16.0
    >>> sae = SparseAutoencoder(16, tol=1e-3, random_state=0).fit(X)
    >>> figure = plot_mean_activations(sae)
    >>> len(figure.axes)
    2
    >>> import matplotlib.pyplot as plt
    >>> plt.close(figure)
    """
    plt = _pyplot("plot_mean_activations")
    from ._activity import DEAD_BELOW, SATURATED_ABOVE
    from ._array_ops import as_host

    layers = getattr(estimator, "mean_activation_", None)
    if layers is None:
        raise ValueError(
            f"{type(estimator).__name__} has no mean_activation_: pass a fitted "
            "SparseAutoencoder or DeepSparseAutoencoder."
        )
    if not isinstance(layers, list):
        layers = [layers]
    layers = [np.asarray(layer, dtype=np.float64) for layer in as_host(layers)]
    rho = estimator.rho
    targets = list(rho) if np.ndim(rho) else [rho] * len(layers)

    if figsize is None:
        figsize = (10.0, 3.2 * len(layers))
    figure, axes = plt.subplots(len(layers), 2, figsize=figsize, squeeze=False)
    floor = min(DEAD_BELOW / 10, *(float(layer.min()) for layer in layers))
    for index, (layer, target, (units, density)) in enumerate(
        zip(layers, targets, axes, strict=True)
    ):
        name = f"layer {index + 1}: " if len(layers) > 1 else ""
        units.plot(np.arange(layer.size), np.sort(layer), ".", color="C0")
        units.axhline(target, color="C1", label=f"rho = {target:g}")
        units.axhspan(floor, DEAD_BELOW, color="0.85", label="dead")
        units.axhspan(SATURATED_ABOVE, 1.0, color="0.6", label="saturated")
        units.set_yscale("log")
        units.set_ylim(floor, 1.0)
        units.set_xlabel("hidden unit (sorted)")
        units.set_ylabel("mean activation")
        units.set_title(f"{name}{layer.size} units")
        units.legend(loc="upper left", fontsize="small")

        density.hist(np.log10(layer), bins=30, color="C0")
        density.axvline(np.log10(target), color="C1", label=f"rho = {target:g}")
        density.axvline(np.log10(DEAD_BELOW), color="0.5", ls="--", label="dead below")
        density.set_xlabel("log10 mean activation (feature density)")
        density.set_ylabel("units")
        density.legend(loc="upper left", fontsize="small")
    if title is not None:
        figure.suptitle(title)
    figure.tight_layout()
    return figure
