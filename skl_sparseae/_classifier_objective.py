"""The stacked classifier's fine-tuning objective (and its softmax layer
alone): the mean cross-entropy of the softmax over the top codes, plus weight
decay, and its gradient by backpropagation through every encoder layer; a
:class:`~skl_sparseae._kernel.OnePassObjective` on the shared engine.

The layout is :class:`~skl_sparseae._layouts.ClassifierLayout`; the math page
("Fine-tuning the stacked autoencoder") derives the gradient.
"""

from ._array_ops import NUMPY_OPS
from ._forward import encode
from ._kernel import Evaluation, OnePassObjective, column_sums, times_row_weights
from ._layouts import ClassifierLayout


class _ClassifierWorkspace:
    """One thread's buffers for :class:`ClassifierObjective` (None where the
    namespace allocates, as :class:`_Workspace`'s)."""

    def __init__(self, chunk_rows, layout, dtype, ops=NUMPY_OPS):
        widths = layout.hidden_layer_sizes
        buffer = ops.buffer
        self.activations = [buffer((chunk_rows, h), dtype) for h in widths]
        self.delta = [buffer((chunk_rows, h), dtype) for h in widths]
        self.slope = [buffer((chunk_rows, h), dtype) for h in widths]
        self.out = buffer((chunk_rows, layout.n_classes), dtype)
        self.ones = ops.ones(chunk_rows, dtype)
        self.loss_share = ops.zeros(1)
        self.grad_share = buffer(layout.n_parameters, dtype)
        # Views of grad_share, made once: (weights, biases).
        if self.grad_share is None:
            n_matrices = len(layout.shapes)
            self.shares = ([None] * n_matrices, [None] * n_matrices)
        else:
            self.shares = layout.unpack(self.grad_share)


class ClassifierObjective(OnePassObjective):
    """Mean cross-entropy of a softmax on logistic layers, plus weight decay,
    and its gradient: the fine-tuning objective of the stacked autoencoder::

        J = -(1/m) sum_i log p(y_i | x_i) + (alpha/2) sum over matrices ||W||^2

    with ``p = softmax(a_L W_out^T + b_out)`` and ``a_l = sigmoid(a_(l-1)
    W_l^T + b_l)``, ``a_0 = x``. No sparsity term: there is no ``rho_hat`` to
    form, so one pass over the chunks gives J and its gradient. The chunks
    run on a runner as the autoencoders' do (fixed-order sums, X's dtype,
    float64 totals). ``hidden_layer_sizes=()`` is softmax regression.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features) or CSR matrix
        float32 or float64.
    y : ndarray of shape (n_samples,)
        Class indices in ``0 .. n_classes - 1``.
    hidden_layer_sizes : tuple of int
    n_classes : int
    alpha : float
    chunk_size, runner
        As for :class:`AutoencoderObjective`.
    """

    def __init__(
        self,
        X,
        y,
        *,
        hidden_layer_sizes,
        n_classes,
        alpha,
        chunk_size="auto",
        runner,
        sample_weight=None,
        weight_sum=None,
    ):
        n_features = X.shape[1]
        self.layout = ClassifierLayout(n_features, hidden_layer_sizes, n_classes)
        self.alpha = alpha
        self._set_up(
            X, chunk_size, runner, self.layout.n_parameters, sample_weight, weight_sum
        )
        # The class indices where X is (an integer array of X's namespace on
        # a device, sent there once by the executor).
        self.y = self._ops.labels(y)
        self._workspaces = [
            _ClassifierWorkspace(self.chunk_size, self.layout, X.dtype, self._ops)
            for _ in range(self.n_workspaces)
        ]

    def _chunk_arguments(self, params):
        return self.layout.unpack(params, self._ops.xp)

    def total(self, theta, grad_sum, loss_sum, n_samples):
        """The :class:`~skl_sparseae._kernel.Evaluation` from the sums over
        all samples (``grad_sum`` is overwritten; ``loss_sum[0]`` is sum_i
        -log p(y_i))."""
        grad = grad_sum
        # The 1/m of the mean, once, then weight decay.
        grad /= n_samples
        n_weights = self.layout.n_weights
        grad[:n_weights] += self.alpha * theta[:n_weights]
        decay = 0.5 * self.alpha * float(theta[:n_weights] @ theta[:n_weights])
        cross_entropy = float(loss_sum[0]) / n_samples
        terms = {"cross_entropy": cross_entropy, "weight_decay": decay}
        return Evaluation(cross_entropy + decay, grad, terms)

    def _chunk(self, work, start, stop, weights, biases):
        """One chunk's share: sum_i -log p(y_i) and sum_i d(-log p(y_i))/dtheta,
        into ``work``."""
        ops = self._ops
        rows = stop - start
        n_hidden = len(self.layout.hidden_layer_sizes)
        share_weights, share_biases = work.shares
        X_chunk = self.X[start:stop, :]
        # Forward: a_l = sigmoid(a_(l-1) W_l^T + b_l); z = a_L W_out^T + b_out.
        inputs = [X_chunk]
        for layer in range(n_hidden):
            A = encode(
                inputs[-1],
                weights[layer],
                biases[layer],
                out=ops.rows(work.activations[layer], rows),
                ops=ops,
            )
            inputs.append(A)
        if n_hidden == 0 and self._sparse:
            Z = work.out[:rows]
            Z[:] = X_chunk @ weights[-1].T
        else:
            Z = ops.matmul(inputs[-1], weights[-1].T, out=ops.rows(work.out, rows))
        Z += biases[-1]
        # -log p(y) = logsumexp(z) - z_y, computed stably; then p = softmax(z).
        labels = ops.label_positions(self.y[start:stop], self.layout.n_classes, Z)
        z_true = ops.at_labels(Z, labels)
        z_max = ops.max_per_row(Z)
        Z -= z_max[:, None]
        Z = ops.exp(Z, out=Z)
        normaliser = ops.sum_per_row(Z)
        # With sample weights: sum_i w_i (-log p(y_i)), and delta_out_i * w_i.
        weights_column = self._chunk_weights(start, stop)
        chunk_loss = ops.log_loss_sum(normaliser, z_max, z_true, weights_column)
        Z /= normaliser[:, None]
        # delta_out = p - onehot(y)
        Z = ops.subtract_one_at_labels(Z, labels)
        delta = times_row_weights(Z, weights_column, ops)
        # Backward: dW_l = delta_l^T a_(l-1); delta_(l-1) = (delta_l W_l) a (1 - a).
        for layer in range(n_hidden, -1, -1):
            layer_input = inputs[layer]
            if layer == 0 and self._sparse:
                share_weights[0][:] = (layer_input.T @ delta).T
            else:
                share_weights[layer] = ops.matmul(
                    delta.T, layer_input, out=share_weights[layer]
                )
            share_biases[layer] = column_sums(
                delta, work.ones, out=share_biases[layer], ops=ops
            )
            if layer > 0:
                below = ops.matmul(
                    delta, weights[layer], out=ops.rows(work.delta[layer - 1], rows)
                )
                delta = ops.times_logistic_slope(
                    below, layer_input, out=ops.rows(work.slope[layer - 1], rows)
                )
        work.grad_share = ops.pack([*share_weights, *share_biases], work.grad_share)
        work.loss_share = ops.loss_share(chunk_loss, work.loss_share)
