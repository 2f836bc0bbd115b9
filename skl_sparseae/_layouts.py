"""Where each matrix of the networks lives in the flat parameter vector.

The layouts of the autoencoders (:class:`NetworkLayout`, any depth, tied or
not; the one-layer functions ``pack_parameters`` / ``unpack_parameters``)
and of the stacked classifier (:class:`ClassifierLayout`), with UFLDL's
initialisation. Flat layout of one layer's ``theta``: ``[W1.ravel(),
W2.ravel() (untied only), b1, b2]``; the notation is
:mod:`skl_sparseae._autoencoder_objective`'s.
"""

import numpy as np

from ._array_ops import as_host


class NetworkLayout:
    """Where each weight matrix and bias of an autoencoder sits in ``theta``.

    The encoder has the logistic layers ``hidden_layer_sizes = (h_1, ...,
    h_L)``; the decoder mirrors it. With ``h_0 = n_features``, layer pair
    ``l`` (1..L) has

    - the encoder matrix ``W_enc[l]`` of shape ``(h_l, h_(l-1))``, row ``j``
      unit ``j``'s filter: ``a_l = sigmoid(a_(l-1) @ W_enc[l].T + b_enc[l])``;
    - the decoder matrix ``W_dec[l]`` of the same shape, mapping back:
      ``a'_(l-1) = g(a'_l @ W_dec[l] + b_dec[l])`` (``g`` logistic for hidden
      layers, the output function for ``l = 1``). Tied: ``W_dec[l]`` is
      ``W_enc[l]`` itself, stored once.

    Flat layout, in the order the forward pass uses them::

        [W_enc[1], ..., W_enc[L], W_dec[L], ..., W_dec[1] (untied only),
         b_enc[1], ..., b_enc[L], b_dec[L], ..., b_dec[1]]

    For one hidden layer this is ``[W1, W2, b1, b2]``, the single-layer
    layout. Lists below are indexed ``l - 1`` (``W_enc[0]`` is layer 1's).
    """

    def __init__(self, n_features, hidden_layer_sizes, tied_weights):
        self.n_features = int(n_features)
        self.hidden_layer_sizes = tuple(int(h) for h in hidden_layer_sizes)
        self.tied_weights = bool(tied_weights)
        sizes = (self.n_features,) + self.hidden_layer_sizes
        self.n_layers = len(self.hidden_layer_sizes)
        # Shapes of the weight matrices of pair l: (h_l, h_(l-1)).
        self.pair_shapes = [(sizes[i], sizes[i - 1]) for i in range(1, len(sizes))]
        n_pair_weights = sum(rows * cols for rows, cols in self.pair_shapes)
        self.n_weights = n_pair_weights * (1 if self.tied_weights else 2)
        self.n_parameters = (
            self.n_weights + sum(self.hidden_layer_sizes) + sum(sizes[:-1])
        )

    def unpack(self, theta, xp=np):
        """``(W_enc, W_dec, b_enc, b_dec)``: lists of reshaped views of theta
        (a NumPy array, or an array of the Array API namespace ``xp``)."""
        position = 0
        # NumPy's method is several times faster than the function.
        reshape = xp.reshape if xp is not np else np.ndarray.reshape

        def take(shape):
            nonlocal position
            size = shape[0] * shape[1] if len(shape) == 2 else shape[0]
            view = reshape(theta[position : position + size], shape)
            position += size
            return view

        W_enc = [take(shape) for shape in self.pair_shapes]
        if self.tied_weights:
            W_dec = list(W_enc)
        else:
            W_dec = [take(shape) for shape in reversed(self.pair_shapes)][::-1]
        b_enc = [take((rows,)) for rows, _ in self.pair_shapes]
        b_dec = [take((cols,)) for _, cols in reversed(self.pair_shapes)][::-1]
        return W_enc, W_dec, b_enc, b_dec

    def flat_order(self, W_enc, W_dec, b_enc, b_dec):
        """The arrays of :meth:`unpack`'s four lists in theta's order."""
        decoder = [] if self.tied_weights else list(reversed(W_dec))
        return [*W_enc, *decoder, *b_enc, *reversed(b_dec)]

    def to_layers(self, theta, dtype=np.float64):
        """``(coefs, intercepts)``: theta as the network's ``2L`` dense layers
        in scikit-learn's MLP convention, copies in ``dtype``.

        ``coefs[i]`` has shape ``(n_in, n_out)`` and layer ``i`` computes
        ``g(a @ coefs[i] + intercepts[i])``: the encoder's ``W_enc[l].T``,
        then the decoder's ``W_dec[l]`` from the innermost layer out. This
        and :meth:`from_layers` are the package's one mapping between theta
        and the fitted ``coefs_`` / ``intercepts_``.
        """
        W_enc, W_dec, b_enc, b_dec = self.unpack(np.asarray(theta))
        coefs = [W.T.astype(dtype) for W in W_enc] + [
            W.astype(dtype) for W in reversed(W_dec)
        ]
        intercepts = [b.astype(dtype) for b in b_enc] + [
            b.astype(dtype) for b in reversed(b_dec)
        ]
        return coefs, intercepts

    def from_layers(self, coefs, intercepts):
        """The flat float64 theta of :meth:`to_layers`' layers (with tied
        weights, the decoder's matrices are the encoder's and are not read)."""
        theta = np.zeros(self.n_parameters)
        W_enc, W_dec, b_enc, b_dec = self.unpack(theta)
        coefs, intercepts = as_host(coefs), as_host(intercepts)
        n_layers = self.n_layers
        for layer in range(n_layers):
            mirror = 2 * n_layers - 1 - layer
            W_enc[layer][...] = coefs[layer].T
            if not self.tied_weights:
                W_dec[layer][...] = coefs[mirror]
            b_enc[layer][...] = intercepts[layer]
            b_dec[layer][...] = intercepts[mirror]
        return theta

    def weight_blocks(self):
        """``(start, stop, bound)`` of each weight matrix in theta, in order,
        with UFLDL's initialisation bound ``sqrt(6 / (n_in + n_out + 1))``."""
        blocks, start = [], 0
        shapes = list(self.pair_shapes)
        if not self.tied_weights:
            shapes += list(reversed(self.pair_shapes))
        for rows, cols in shapes:
            stop = start + rows * cols
            blocks.append((start, stop, initialization_bound(cols, rows)))
            start = stop
        return blocks

    def initial_parameters(self, random_state):
        """UFLDL's initialisation: each weight matrix uniform in its bound,
        drawn in layout order; biases zero."""
        theta = np.zeros(self.n_parameters)
        for start, stop, bound in self.weight_blocks():
            theta[start:stop] = random_state.uniform(-bound, bound, size=stop - start)
        return theta


def n_parameters(n_features, n_components, tied_weights):
    """Length of the flat parameter vector of a one-hidden-layer model."""
    return NetworkLayout(n_features, (n_components,), tied_weights).n_parameters


def unpack_parameters(theta, n_features, n_components, tied_weights):
    """Split ``theta`` into ``(W1, W2, b1, b2)``: reshaped views, no copies.

    With tied weights ``W2`` is the very same view as ``W1``.
    """
    layout = NetworkLayout(n_features, (n_components,), tied_weights)
    (W1,), (W2,), (b1,), (b2,) = layout.unpack(theta)
    return W1, W2, b1, b2


def pack_parameters(W1, W2, b1, b2, tied_weights):
    """The inverse of :func:`unpack_parameters` (``W2`` is ignored when tied)."""
    weights = [W1.ravel()] if tied_weights else [W1.ravel(), W2.ravel()]
    return np.concatenate(weights + [np.ravel(b1), np.ravel(b2)]).astype(np.float64)


def initialization_bound(n_features, n_components):
    """UFLDL's range for initial weights: +-sqrt(6 / (n_in + n_out + 1))."""
    return np.sqrt(6.0 / (n_features + n_components + 1))


def initial_parameters(n_features, n_components, tied_weights, random_state):
    """UFLDL's initialisation: weights uniform in +-sqrt(6 / (n_in + n_out + 1)).

    Biases start at zero. ``random_state`` is a ``numpy.random.RandomState``.
    """
    layout = NetworkLayout(n_features, (n_components,), tied_weights)
    return layout.initial_parameters(random_state)


class ClassifierLayout:
    """Where each matrix of a logistic network with a softmax output sits in
    ``theta``.

    Layers ``hidden_layer_sizes = (h_1, ..., h_L)`` (L may be 0: softmax
    regression), then ``n_classes`` softmax outputs. With ``h_0 =
    n_features`` and ``h_(L+1) = n_classes``, matrix ``l`` (1..L+1) has shape
    ``(h_l, h_(l-1))``, rows the units' filters, as an encoder's::

        [W_1, ..., W_L, W_out, b_1, ..., b_L, b_out]
    """

    def __init__(self, n_features, hidden_layer_sizes, n_classes):
        sizes = (int(n_features), *map(int, hidden_layer_sizes), int(n_classes))
        self.n_features = sizes[0]
        self.hidden_layer_sizes = sizes[1:-1]
        self.n_classes = sizes[-1]
        self.shapes = [(sizes[i], sizes[i - 1]) for i in range(1, len(sizes))]
        self.n_weights = sum(rows * cols for rows, cols in self.shapes)
        self.n_parameters = self.n_weights + sum(sizes[1:])

    def unpack(self, theta, xp=np):
        """``(weights, biases)``: lists of reshaped views of theta (a NumPy
        array, or an array of the Array API namespace ``xp``)."""
        weights, position = [], 0
        reshape = xp.reshape if xp is not np else np.ndarray.reshape
        for rows, cols in self.shapes:
            weights.append(
                reshape(theta[position : position + rows * cols], (rows, cols))
            )
            position += rows * cols
        biases = []
        for rows, _ in self.shapes:
            biases.append(theta[position : position + rows])
            position += rows
        return weights, biases

    def to_layers(self, theta, dtype=np.float64):
        """``(coefs, intercepts)``: theta as the network's dense layers in
        scikit-learn's MLP convention (``coefs[i]`` of shape ``(n_in,
        n_out)``, the softmax layer last), copies in ``dtype``. This and
        :meth:`from_layers` are the one mapping between theta and the fitted
        ``coefs_`` / ``intercepts_``."""
        weights, biases = self.unpack(np.asarray(theta))
        return (
            [W.T.astype(dtype) for W in weights],
            [b.astype(dtype) for b in biases],
        )

    def from_layers(self, coefs, intercepts):
        """The flat float64 theta of :meth:`to_layers`' layers."""
        theta = np.zeros(self.n_parameters)
        weights, biases = self.unpack(theta)
        coefs, intercepts = as_host(coefs), as_host(intercepts)
        for layer, (W, b) in enumerate(zip(coefs, intercepts, strict=True)):
            weights[layer][...] = W.T
            biases[layer][...] = b
        return theta

    def weight_blocks(self):
        """``(start, stop, bound)`` of each weight matrix in theta, with
        UFLDL's initialisation bound ``sqrt(6 / (n_in + n_out + 1))``."""
        blocks, start = [], 0
        for rows, cols in self.shapes:
            blocks.append(
                (start, start + rows * cols, initialization_bound(cols, rows))
            )
            start += rows * cols
        return blocks
