"""Export of fitted models to ONNX, through skl2onnx.

Importing this module registers converters for
:class:`~skl_sparseae.SparseAutoencoder` and
:class:`~skl_sparseae.DeepSparseAutoencoder` with skl2onnx, so that
``skl2onnx.to_onnx`` converts a fitted autoencoder, or any ``Pipeline`` that
holds one, the usual way. The graph computes ``transform``: for
``SparseAutoencoder`` ``sigmoid(X @ components_.T + intercept_hidden_)``, for
the deep model the encoder's logistic layers ``coefs_[:L]``, in the input's
type (float32 or float64), as ``transform`` does.

Registration is explicit: ``import skl_sparseae`` does not import skl2onnx,
which is heavy and optional, and skl2onnx looks converters up in its own
registry, which only this module fills. Import ``skl_sparseae.onnx`` once
before calling ``to_onnx``.

Needs skl2onnx, and onnxruntime to run the exported models: ``pip install
skl2onnx onnxruntime``, or ``python3 -m pip install ".[onnx]"`` in a clone of
skl_sparseae.
"""

import numpy as np
from sklearn.utils.validation import check_is_fitted

try:
    from onnx import TensorProto
    from skl2onnx import update_registered_converter
    from skl2onnx.common.data_types import DoubleTensorType, FloatTensorType
except ImportError as error:
    raise ImportError(
        "skl_sparseae.onnx needs skl2onnx to export models to ONNX; install it "
        "with: pip install skl2onnx onnxruntime (or, in a clone of skl_sparseae, "
        'python3 -m pip install ".[onnx]")'
    ) from error

from ._deep import DeepSparseAutoencoder
from ._sparse_autoencoder import SparseAutoencoder

__all__ = ["register_onnx_converter"]

# skl2onnx's convention for aliases: the library's name, then the model's.
_ALIASES = {
    SparseAutoencoder: "SklSparseaeSparseAutoencoder",
    DeepSparseAutoencoder: "SklSparseaeDeepSparseAutoencoder",
}

# The input types a converted model takes, with the dtype its weights are
# stored in: the graph computes in the input's type, as transform does.
_INPUT_DTYPES = {FloatTensorType: np.float32, DoubleTensorType: np.float64}
_ONNX_ELEMENT_TYPES = {
    np.dtype(np.float32): TensorProto.FLOAT,
    np.dtype(np.float64): TensorProto.DOUBLE,
}


def register_onnx_converter():
    """Register the ONNX converters of the package's autoencoders with skl2onnx.

    Importing :mod:`skl_sparseae.onnx` calls this function, so it rarely
    needs calling by hand. Calling it again changes nothing: it registers
    the same converter under the same name.

    See Also
    --------
    skl2onnx.to_onnx : Converts a fitted model or Pipeline to ONNX.

    Examples
    --------
    >>> import numpy as np
    >>> import onnxruntime
    >>> from skl2onnx import to_onnx
    >>> from skl_sparseae import SparseAutoencoder
    >>> from skl_sparseae.onnx import register_onnx_converter
    >>> register_onnx_converter()  # done already by the import
    >>> X = np.random.RandomState(0).uniform(size=(100, 8)).astype(np.float32)
    >>> sae = SparseAutoencoder(n_components=4, max_iter=20, random_state=0)
    >>> sae = sae.fit(X)
    >>> model = to_onnx(sae, X[:1])
    >>> session = onnxruntime.InferenceSession(model.SerializeToString())
    >>> (H,) = session.run(None, {"X": X})
    >>> H.dtype, H.shape
    (dtype('float32'), (100, 4))
    >>> bool(np.allclose(H, sae.transform(X), atol=1e-5))
    True
    """
    for estimator, alias in _ALIASES.items():
        update_registered_converter(
            estimator,
            alias,
            _calculate_sparse_autoencoder_output_shapes,
            _convert_sparse_autoencoder,
        )


def _calculate_sparse_autoencoder_output_shapes(operator):
    """Output type of transform: ``(n_samples, n_codes)``, input's type."""
    model = operator.raw_operator
    check_is_fitted(model)
    input_type = _float_input_type(operator)
    n_features = input_type.shape[1] if len(input_type.shape) == 2 else None
    if isinstance(n_features, int) and n_features != model.n_features_in_:
        raise ValueError(
            f"The ONNX input has {n_features} features, but this "
            f"{type(model).__name__} was fitted on {model.n_features_in_}: "
            "pass to_onnx a sample of the data the model was fitted on."
        )
    n_samples = operator.inputs[0].get_first_dimension()
    operator.outputs[0].type = type(input_type)([n_samples, model._n_features_out])


def _convert_sparse_autoencoder(scope, operator, container):
    """Write ``transform`` into the graph: the encoder's logistic layers."""
    model = operator.raw_operator
    dtype = _INPUT_DTYPES[type(_float_input_type(operator))]
    layers = _encoder_layers(model)
    name = operator.inputs[0].full_name
    for i, (coef, intercept) in enumerate(layers):
        last = i == len(layers) - 1
        name = _append_logistic_dense_layer(
            scope,
            container,
            name,
            coef=coef,
            intercept=intercept,
            dtype=dtype,
            output_name=operator.outputs[0].full_name if last else None,
        )


def _encoder_layers(model):
    """``[(coef, intercept), ...]`` of the encoder, coefs as ``(n_in, n_out)``."""
    if isinstance(model, DeepSparseAutoencoder):
        n_encoder = len(model.coefs_) // 2
        return list(
            zip(model.coefs_[:n_encoder], model.intercepts_[:n_encoder], strict=True)
        )
    return [(model.components_.T, model.intercept_hidden_)]


def _append_logistic_dense_layer(
    scope, container, input_name, coef, intercept, dtype, output_name=None
):
    """Append ``sigmoid(input @ coef + intercept)`` to a graph being converted.

    The building block of every logistic network of the package: an
    encoder is one call; a deep model chains calls, each taking the
    previous one's output name, with its ``coefs_[i]`` and
    ``intercepts_[i]``.

    Parameters
    ----------
    scope : skl2onnx.common._topology.Scope
        The converter's scope; it makes the new names unique.

    container : skl2onnx.common._container.ModelComponentContainer
        The converter's container; the layer's weights and nodes go there.

    input_name : str
        Name of the layer's input, of shape ``(n_samples, n_in)``.

    coef : ndarray of shape (n_in, n_out)
        Weights, in scikit-learn's ``coefs_`` convention (for an encoder
        with ``components_`` of shape ``(n_out, n_in)``, pass its transpose).

    intercept : ndarray of shape (n_out,)
        Biases.

    dtype : {np.float32, np.float64}
        Type the weights are stored in: the input's type, so that the layer
        computes in it.

    output_name : str, default=None
        Name of the layer's output; a new unique name if None.

    Returns
    -------
    output_name : str
        Name of the layer's output, of shape ``(n_samples, n_out)``.
    """
    element_type = _ONNX_ELEMENT_TYPES[np.dtype(dtype)]
    coef = np.asarray(coef, dtype=dtype)
    intercept = np.asarray(intercept, dtype=dtype)

    coef_name = scope.get_unique_variable_name("coef")
    intercept_name = scope.get_unique_variable_name("intercept")
    container.add_initializer(coef_name, element_type, coef.shape, coef.ravel())
    container.add_initializer(
        intercept_name, element_type, intercept.shape, intercept.ravel()
    )

    product_name = scope.get_unique_variable_name("product")
    pre_activation_name = scope.get_unique_variable_name("pre_activation")
    if output_name is None:
        output_name = scope.get_unique_variable_name("activation")
    container.add_node(
        "MatMul",
        [input_name, coef_name],
        product_name,
        name=scope.get_unique_operator_name("MatMul"),
    )
    container.add_node(
        "Add",
        [product_name, intercept_name],
        pre_activation_name,
        name=scope.get_unique_operator_name("Add"),
    )
    container.add_node(
        "Sigmoid",
        pre_activation_name,
        output_name,
        name=scope.get_unique_operator_name("Sigmoid"),
    )
    return output_name


def _float_input_type(operator):
    """The operator's input type, if float or double; else a clear error."""
    input_type = operator.inputs[0].type
    if type(input_type) not in _INPUT_DTYPES:
        model_name = type(operator.raw_operator).__name__
        raise TypeError(
            f"The ONNX converter of {model_name} takes float or double input; "
            f"got {type(input_type).__name__}. Cast X to np.float32 or "
            "np.float64 before calling to_onnx."
        )
    return input_type


register_onnx_converter()
