"""Export of fitted models to ONNX, through skl2onnx.

Importing this module registers converters with skl2onnx, so that
``skl2onnx.to_onnx`` converts a fitted model, or any ``Pipeline`` that holds
one, the usual way. Each graph computes what the estimator computes, in the
input's type (float32 or float64), as the estimator does:

* :class:`~skl_sparseae.SparseAutoencoder`: ``transform``,
  ``sigmoid(X @ components_.T + intercept_hidden_)``;
* :class:`~skl_sparseae.DeepSparseAutoencoder`: ``transform``, the encoder's
  logistic layers ``coefs_[:L]``;
* :class:`~skl_sparseae.ReconstructionICA`: ``transform``,
  ``X @ components_.T``;
* :class:`~skl_sparseae.SparseAutoencoderClassifier`: ``predict`` and
  ``predict_proba``, the two outputs (label, probabilities) of skl2onnx's
  ``MLPClassifier`` converter, with its options (``zipmap``, ``nocl``,
  ``output_class_labels``).

:class:`~skl_sparseae.TopographicSparseCoding` does not convert: its
``transform`` solves an optimisation problem per sample, which has no ONNX
form, and converting it raises an error that says so.

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
    from skl2onnx.common.shape_calculator import (
        calculate_linear_classifier_output_shapes,
    )
except ImportError as error:
    raise ImportError(
        "skl_sparseae.onnx needs skl2onnx to export models to ONNX; install it "
        "with: pip install skl2onnx onnxruntime (or, in a clone of skl_sparseae, "
        'python3 -m pip install ".[onnx]")'
    ) from error

from ._classifier import SparseAutoencoderClassifier
from ._deep import DeepSparseAutoencoder
from ._reconstruction_ica import ReconstructionICA
from ._sklearn_private import skl2onnx_classifier_parser
from ._sparse_autoencoder import SparseAutoencoder
from ._topographic import TopographicSparseCoding

# Private: the parser skl2onnx gives any converter registered with a "zipmap"
# option; ours wraps it, to check the fit first (see _sklearn_private).
_parse_sklearn_classifier = skl2onnx_classifier_parser()

__all__ = ["register_onnx_converter"]

# The input types a converted model takes, with the dtype its weights are
# stored in: the graph computes in the input's type, as the estimator does.
_INPUT_DTYPES = {FloatTensorType: np.float32, DoubleTensorType: np.float64}
_ONNX_ELEMENT_TYPES = {
    np.dtype(np.float32): TensorProto.FLOAT,
    np.dtype(np.float64): TensorProto.DOUBLE,
}

# The options of skl2onnx's MLPClassifier converter, which the classifier's
# honours: "zipmap" and "output_class_labels" are applied by the parser
# skl2onnx uses for every classifier (ZipMap after the two outputs, or a
# constant of the labels); "nocl" makes the labels class indices.
_CLASSIFIER_OPTIONS = {
    "zipmap": [True, False, "columns"],
    "nocl": [False, True],
    "output_class_labels": [False, True],
}


def register_onnx_converter():
    """Register the ONNX converters of the package's estimators with skl2onnx.

    Importing :mod:`skl_sparseae.onnx` calls this function, so it rarely
    needs calling by hand. Calling it again changes nothing: it registers
    the same converters under the same names.

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
    >>> sae = SparseAutoencoder(n_components=4, tol=1e-2, random_state=0)
    >>> sae = sae.fit(X)
    >>> model = to_onnx(sae, X[:1])
    >>> session = onnxruntime.InferenceSession(model.SerializeToString())
    >>> (H,) = session.run(None, {"X": X})
    >>> H.dtype, H.shape
    (dtype('float32'), (100, 4))
    >>> bool(np.allclose(H, sae.transform(X), atol=1e-5))
    True
    """
    for estimator, arguments in _CONVERTERS.items():
        update_registered_converter(estimator, **arguments)


# Parsing and shapes -------------------------------------------------------------


def _parse_classifier(scope, model, inputs, custom_parsers=None):
    """skl2onnx's classifier parser, once the model is fitted: the parser
    reads ``classes_`` (for ZipMap) before any shape calculator runs."""
    check_is_fitted(model)
    return _parse_sklearn_classifier(scope, model, inputs, custom_parsers)


def _calculate_transform_output_shapes(operator):
    """Output type of transform: ``(n_samples, n_codes)``, input's type."""
    input_type = _checked_input_type(operator)
    n_samples = operator.inputs[0].get_first_dimension()
    n_codes = operator.raw_operator._n_features_out
    operator.outputs[0].type = type(input_type)([n_samples, n_codes])


def _calculate_classifier_output_shapes(operator):
    """Output types of the classifier: labels ``(n_samples,)``, int64 or
    string as skl2onnx writes every classifier's, and probabilities
    ``(n_samples, n_classes)`` in the input's type."""
    model = operator.raw_operator
    input_type = _checked_input_type(operator)
    zipmap = operator.scope_inst.get_options(model, {"zipmap": True})["zipmap"]
    if zipmap is True and type(input_type) is DoubleTensorType:
        raise ValueError(
            "ONNX's ZipMap takes float32 probabilities only, so "
            f"{type(model).__name__}'s default zipmap=True cannot follow a "
            "float64 graph. Pass options={SparseAutoencoderClassifier: "
            '{"zipmap": False}} (or "columns") to to_onnx, or a float32 sample.'
        )
    calculate_linear_classifier_output_shapes(operator)


def _checked_input_type(operator):
    """The operator's input type, once the model is fitted and the input
    float or double and of the width the model was fitted on."""
    model = operator.raw_operator
    check_is_fitted(model)
    input_type = operator.inputs[0].type
    if type(input_type) not in _INPUT_DTYPES:
        raise TypeError(
            f"The ONNX converter of {type(model).__name__} takes float or double "
            f"input; got {type(input_type).__name__}. Cast X to np.float32 or "
            "np.float64 before calling to_onnx."
        )
    n_features = input_type.shape[1] if len(input_type.shape) == 2 else None
    if isinstance(n_features, int) and n_features != model.n_features_in_:
        raise ValueError(
            f"The ONNX input has {n_features} features, but this "
            f"{type(model).__name__} was fitted on {model.n_features_in_}: "
            "pass to_onnx a sample of the data the model was fitted on."
        )
    return input_type


def _refuse_topographic_sparse_coding(operator):
    """Shape calculator of TopographicSparseCoding: an error that says why."""
    raise NotImplementedError(
        "TopographicSparseCoding has no ONNX converter: its transform solves an "
        "optimisation problem for each sample's codes (L-BFGS, then Newton "
        "steps), which no ONNX graph computes. Compute the codes with "
        "transform in Python and export only the steps that follow them, or "
        "use ReconstructionICA, whose codes X @ components_.T convert."
    )


# Graphs -----------------------------------------------------------------------


def _convert_transform(scope, operator, container):
    """Write ``transform`` into the graph: the model's dense layers."""
    dtype = _INPUT_DTYPES[type(operator.inputs[0].type)]
    _append_layers(
        scope,
        container,
        operator.inputs[0].full_name,
        _layers(operator.raw_operator),
        dtype,
        output_name=operator.outputs[0].full_name,
    )


def _convert_classifier(scope, operator, container):
    """Write ``predict`` and ``predict_proba`` into the graph.

    The outputs are those of skl2onnx's MLPClassifier converter, in its
    order: labels, then probabilities (which skl2onnx's parser passes on to
    ZipMap unless ``zipmap=False``). Both come from the network's last
    layer, the logits ``Z`` of every class, as in ``predict_proba`` even
    with two classes: not MLPClassifier's one logistic unit.
    """
    model = operator.raw_operator
    dtype = _INPUT_DTYPES[type(operator.inputs[0].type)]
    labels_name, probabilities_name = (
        output.full_name for output in operator.outputs[:2]
    )
    # Z = sigmoid(... sigmoid(X @ coefs_[0] + intercepts_[0]) ...) @ coefs_[-1]
    #     + intercepts_[-1]
    logits_name = _append_layers(
        scope, container, operator.inputs[0].full_name, _layers(model), dtype
    )
    # predict_proba: softmax(Z) = exp(z - max z) / sum exp(z - max z), per row
    container.add_node(
        "Softmax",
        logits_name,
        probabilities_name,
        axis=1,
        name=scope.get_unique_operator_name("Softmax"),
    )
    # predict: classes_[argmax z], the first of equal maxima as np.argmax;
    # of Z rather than of softmax(Z), as predict takes it. With nocl, the
    # labels are the indices argmax z themselves.
    nocl = scope.get_options(model, {"nocl": False})["nocl"]
    index_name = labels_name if nocl else scope.get_unique_variable_name("index")
    container.add_node(
        "ArgMax",
        logits_name,
        index_name,
        axis=1,
        keepdims=0,
        name=scope.get_unique_operator_name("ArgMax"),
    )
    if nocl:
        return
    classes_name = scope.get_unique_variable_name("classes")
    element_type, classes = _onnx_class_labels(model.classes_)
    container.add_initializer(classes_name, element_type, classes.shape, classes)
    container.add_node(
        "Gather",
        [classes_name, index_name],
        labels_name,
        axis=0,
        name=scope.get_unique_operator_name("Gather"),
    )


def _onnx_class_labels(classes):
    """``(element type, values)`` of ``classes_`` as an ONNX constant: int64
    for integers, booleans and floats (which scikit-learn's classifiers only
    take with integer values), the type skl2onnx's shape calculator gives
    every classifier's numeric labels; UTF-8 bytes for strings."""
    if classes.dtype.kind in "biuf":
        return TensorProto.INT64, classes.astype(np.int64)
    return TensorProto.STRING, np.array([str(label).encode() for label in classes])


def _layers(model):
    """The model's network as dense layers, ``[(coef, intercept, activation),
    ...]``, each computing ``activation(input @ coef + intercept)``.

    ``coef`` is ``(n_in, n_out)``, scikit-learn's ``coefs_`` convention (an
    encoder's ``components_``, of shape ``(n_out, n_in)``, transposed);
    ``intercept`` None for none; ``activation`` the ONNX operator's name, or
    None for the identity. For the classifier, the last layer is the
    softmax layer's input, the logits.
    """
    if isinstance(model, SparseAutoencoderClassifier):
        hidden = zip(model.coefs_[:-1], model.intercepts_[:-1], strict=True)
        return [(coef, intercept, "Sigmoid") for coef, intercept in hidden] + [
            (model.coefs_[-1], model.intercepts_[-1], None)
        ]
    if isinstance(model, DeepSparseAutoencoder):
        n_encoder = len(model.coefs_) // 2
        encoder = zip(
            model.coefs_[:n_encoder], model.intercepts_[:n_encoder], strict=True
        )
        return [(coef, intercept, "Sigmoid") for coef, intercept in encoder]
    if isinstance(model, ReconstructionICA):
        # components_ already holds the normalized filters with
        # normalize_filters: transform is X @ components_.T either way
        return [(model.components_.T, None, None)]
    return [(model.components_.T, model.intercept_hidden_, "Sigmoid")]


def _append_layers(scope, container, input_name, layers, dtype, output_name=None):
    """Chain :func:`_append_dense_layer` over ``layers``; the last output's name."""
    name = input_name
    for i, (coef, intercept, activation) in enumerate(layers):
        last = i == len(layers) - 1
        name = _append_dense_layer(
            scope,
            container,
            name,
            coef=coef,
            intercept=intercept,
            activation=activation,
            dtype=dtype,
            output_name=output_name if last else None,
        )
    return name


def _append_dense_layer(
    scope,
    container,
    input_name,
    coef,
    intercept,
    activation,
    dtype,
    output_name=None,
):
    """Append ``activation(input @ coef + intercept)`` to a graph being converted.

    The building block of every network of the package: an encoder is one
    call; a deep model or the classifier chains calls, each taking the
    previous one's output name, with its ``coefs_[i]`` and ``intercepts_[i]``.

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

    intercept : ndarray of shape (n_out,) or None
        Biases; None for a layer without (ReconstructionICA's codes).

    activation : {"Sigmoid", None}
        The ONNX operator applied to ``input @ coef + intercept``; None for
        the identity (the classifier's logits, RICA's codes).

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
    if output_name is None:
        output_name = scope.get_unique_variable_name("activation")

    def constant(name, values):
        values = np.asarray(values, dtype=dtype)
        name = scope.get_unique_variable_name(name)
        container.add_initializer(name, element_type, values.shape, values.ravel())
        return name

    # input @ coef, then + intercept (broadcast over the rows), then the
    # activation: one node each, the last one writing output_name
    steps = [("MatMul", constant("coef", coef))]
    if intercept is not None:
        steps.append(("Add", constant("intercept", intercept)))
    if activation is not None:
        steps.append((activation, None))
    name = input_name
    for i, (op_type, operand) in enumerate(steps):
        last = i == len(steps) - 1
        result = output_name if last else scope.get_unique_variable_name(op_type)
        container.add_node(
            op_type,
            [name] if operand is None else [name, operand],
            result,
            name=scope.get_unique_operator_name(op_type),
        )
        name = result
    return output_name


def _convert_topographic_sparse_coding(scope, operator, container):
    """Never reached: the shape calculator refuses first (skl2onnx needs one)."""
    _refuse_topographic_sparse_coding(operator)


# What each estimator converts with: the keyword arguments of skl2onnx's
# update_registered_converter. skl2onnx's convention for aliases: the
# library's name, then the model's.
_CONVERTERS = {
    SparseAutoencoder: dict(
        alias="SklSparseaeSparseAutoencoder",
        shape_fct=_calculate_transform_output_shapes,
        convert_fct=_convert_transform,
    ),
    DeepSparseAutoencoder: dict(
        alias="SklSparseaeDeepSparseAutoencoder",
        shape_fct=_calculate_transform_output_shapes,
        convert_fct=_convert_transform,
    ),
    ReconstructionICA: dict(
        alias="SklSparseaeReconstructionICA",
        shape_fct=_calculate_transform_output_shapes,
        convert_fct=_convert_transform,
    ),
    SparseAutoencoderClassifier: dict(
        alias="SklSparseaeSparseAutoencoderClassifier",
        shape_fct=_calculate_classifier_output_shapes,
        convert_fct=_convert_classifier,
        parser=_parse_classifier,
        options=_CLASSIFIER_OPTIONS,
    ),
    TopographicSparseCoding: dict(
        alias="SklSparseaeTopographicSparseCoding",
        shape_fct=_refuse_topographic_sparse_coding,
        convert_fct=_convert_topographic_sparse_coding,
    ),
}

register_onnx_converter()
