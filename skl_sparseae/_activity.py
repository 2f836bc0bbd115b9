"""What the hidden units of a fitted autoencoder do: each unit's mean
activation over the training set at the solution (the ``rho_hat_j`` that
the sparsity penalty pulls towards ``rho``), and the units that are dead or
saturated.

A logistic unit's activation lies in (0, 1), so its mean over the samples
bounds how often it can be far from 0 or 1 (Markov's inequality):

- **dead**: mean activation below ``DEAD_BELOW`` = 0.001. Then the unit's
  activation exceeds 0.1 on fewer than 1% of the training samples: it is
  off for (nearly) every sample.
- **saturated**: mean activation above ``SATURATED_ABOVE`` = 0.999. Then
  its activation is below 0.9 on fewer than 1% of the samples: it is on
  for (nearly) every sample.

Either way the unit's code is (nearly) the same for every sample and tells
nothing about X: what interpretability tools call a dead or dense feature
(feature density).
"""

import warnings

import numpy as np

from ._optimize import user_stacklevel

DEAD_BELOW = 1e-3
SATURATED_ABOVE = 1.0 - 1e-3


def inactive_units(mean_activation):
    """``(n_dead, n_saturated)`` among the units of one layer, from their
    mean activations (host float64)."""
    mean_activation = np.asarray(mean_activation, dtype=np.float64)
    return (
        int(np.count_nonzero(mean_activation < DEAD_BELOW)),
        int(np.count_nonzero(mean_activation > SATURATED_ABOVE)),
    )


def report_units(label, mean_activations, *, verbose, warn=True):
    """Say what the hidden units of a fit do: a ``verbose`` line, and one
    UserWarning where some units are dead or saturated.

    ``mean_activations``: one host float64 array per encoder layer.
    """
    counts = [inactive_units(layer) for layer in mean_activations]
    many = len(mean_activations) > 1

    def layer_name(index):
        return f"layer {index + 1}: " if many else ""

    if verbose:
        parts = [
            f"{layer_name(index)}{layer.size} units, mean activation "
            f"{float(np.mean(layer)):.4g} (min {float(np.min(layer)):.3g}, max "
            f"{float(np.max(layer)):.3g}), {dead} dead, {saturated} saturated"
            for index, (layer, (dead, saturated)) in enumerate(
                zip(mean_activations, counts, strict=True)
            )
        ]
        print(f"[{label}] hidden units: " + "; ".join(parts), flush=True)
    if not warn or not any(dead or saturated for dead, saturated in counts):
        return
    parts = [
        f"{layer_name(index)}{dead} dead and {saturated} saturated of "
        f"{layer.size} units"
        for index, (layer, (dead, saturated)) in enumerate(
            zip(mean_activations, counts, strict=True)
        )
        if dead or saturated
    ]
    warnings.warn(
        f"{label}: {'; '.join(parts)}. A dead unit's mean activation over the "
        f"training set is below {DEAD_BELOW:g} (off for nearly every sample), "
        f"a saturated unit's above {SATURATED_ABOVE:g} (on for nearly every "
        "sample): either way its code is the same for every sample. "
        "mean_activation_ holds every unit's (plot_mean_activations in "
        "skl_sparseae.plotting draws them against rho). A larger beta pulls "
        "each unit's mean activation towards rho; fewer units, or a smaller "
        "alpha, leave fewer unused.",
        UserWarning,
        stacklevel=user_stacklevel(),
    )
