"""Training data for the examples: natural-image patches prepared as in UFLDL.

Only images that ship inside scikit-learn are used (its two sample
photographs), so nothing is downloaded. Reading them needs pillow.
"""

import numpy as np
from sklearn.utils import check_random_state


def _sample_images():
    try:
        from sklearn.datasets import load_sample_images

        return load_sample_images().images
    except ImportError as error:  # scikit-learn reads the JPEGs with pillow
        raise ImportError(
            "Natural-image patches are cut from scikit-learn's sample images, "
            "which need pillow: pip install pillow (or, in a clone of "
            'skl_sparseae, python3 -m pip install ".[examples]").'
        ) from error


def whiten_image(image):
    """Olshausen & Field's whitening filter, applied in the Fourier domain.

    Multiplies the spectrum by ``f * exp(-(f / f0)^4)`` with ``f0 = 0.4 *
    size``: the ramp ``f`` flattens natural images' 1/f amplitude spectrum,
    the exponential rolls off the noisy highest frequencies. This is how the
    images of the UFLDL sparse autoencoder exercise were prepared.

    Parameters
    ----------
    image : ndarray of shape (height, width)
        A grayscale image.

    Returns
    -------
    whitened : ndarray of shape (height, width)
        The whitened image, scaled to unit variance.
    """
    height, width = image.shape
    fy = np.fft.fftfreq(height) * height
    fx = np.fft.fftfreq(width) * width
    # Radial frequency in cycles per image, scaled as for a square image.
    frequency = np.hypot(fy[:, None] * (width / height), fx[None, :])
    f0 = 0.4 * width
    spectrum_filter = frequency * np.exp(-((frequency / f0) ** 4))
    image = image - image.mean()
    whitened = np.real(np.fft.ifft2(np.fft.fft2(image) * spectrum_filter))
    return whitened / whitened.std()


def normalize_patches(patches):
    """Bring patches into [0.1, 0.9] as UFLDL's ``normalizeData`` does.

    Removes each patch's mean (its DC component), truncates to +-3 standard
    deviations of all the values, and maps [-3 std, 3 std] onto [0.1, 0.9].

    Parameters
    ----------
    patches : ndarray of shape (n_patches, n_pixels)
        Raw patches, one per row.

    Returns
    -------
    normalized : ndarray of shape (n_patches, n_pixels)
        Values in [0.1, 0.9].
    """
    patches = patches - patches.mean(axis=1, keepdims=True)
    limit = 3.0 * patches.std()
    patches = np.clip(patches, -limit, limit) / limit
    return (patches + 1.0) * 0.4 + 0.1


def load_natural_image_patches(
    n_patches=10000,
    patch_size=8,
    *,
    whiten=True,
    color=False,
    normalize=True,
    min_contrast=0.0,
    random_state=None,
):
    """Random square patches of natural images, prepared like UFLDL's.

    Patches are cut at random positions from scikit-learn's two sample
    photographs (``load_sample_images``), whitened first if ``whiten``, then
    (if ``normalize``) brought into [0.1, 0.9] by :func:`normalize_patches`.

    Parameters
    ----------
    n_patches : int, default=10000
        Number of patches.
    patch_size : int, default=8
        Side of a patch in pixels.
    whiten : bool, default=True
        Whiten the images with :func:`whiten_image` before cutting patches.
    color : bool, default=False
        Keep the three color channels: each row is then
        ``3 * patch_size**2`` values, the channel last (``patch_size,
        patch_size, 3`` flattened). Otherwise the images are made gray.
    normalize : bool, default=True
        Apply :func:`normalize_patches`, for a logistic decoder. False
        returns the raw (possibly whitened) pixel values, for a linear one.
    min_contrast : float, default=0.0
        Keep only patches whose pixel standard deviation is at least this
        many times the standard deviation of the whole image they come from
        (positions are redrawn until ``n_patches`` qualify). scikit-learn's
        photographs have large flat areas (sky, out-of-focus background);
        about half of their patches carry almost no structure, whereas the
        images of the UFLDL exercise are textured throughout. ``0.5`` keeps
        the textured half.
    random_state : int, RandomState instance or None, default=None
        Seed of the patch positions.

    Returns
    -------
    patches : ndarray of shape (n_patches, n_pixels)
        One flattened patch per row, float64 (in [0.1, 0.9] if
        ``normalize``); ``n_pixels`` is
        ``patch_size**2``, or ``3 * patch_size**2`` with ``color=True``.

    Examples
    --------
    >>> from skl_sparseae.datasets import load_natural_image_patches
    >>> patches = load_natural_image_patches(n_patches=100, random_state=0)
    >>> patches.shape
    (100, 64)
    >>> bool(patches.min() >= 0.1 and patches.max() <= 0.9)
    True
    """
    rng = check_random_state(random_state)
    images = []
    for image in _sample_images():
        image = np.asarray(image, dtype=np.float64) / 255.0
        channels = [image[:, :, c] for c in range(3)] if color else [image.mean(axis=2)]
        if whiten:
            channels = [whiten_image(channel) for channel in channels]
        images.append(np.stack(channels, axis=-1))
    windows = [
        np.lib.stride_tricks.sliding_window_view(
            image, (patch_size, patch_size), (0, 1)
        )
        for image in images
    ]  # (rows, cols, channels, patch_size, patch_size) views, no copies
    batches, n_kept = [], 0
    while n_kept < n_patches:
        which = rng.randint(len(images), size=n_patches)
        for index, view in enumerate(windows):
            count = int(np.sum(which == index))
            tops = rng.randint(view.shape[0], size=count)
            lefts = rng.randint(view.shape[1], size=count)
            # (count, channels, h, w) -> (count, h, w, channels), flattened
            batch = view[tops, lefts].transpose(0, 2, 3, 1).reshape(count, -1)
            textured = batch.std(axis=1) >= min_contrast * images[index].std()
            batches.append(batch[textured])
            n_kept += int(textured.sum())
    patches = np.concatenate(batches)[:n_patches]
    # Shuffle so that the kept patches do not come grouped by image.
    patches = patches[rng.permutation(len(patches))]
    return normalize_patches(patches) if normalize else patches
