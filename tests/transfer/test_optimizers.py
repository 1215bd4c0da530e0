"""labhelpers.transfer.optimizers: Adam, L-BFGS and the registry (no network needed).

The optimisers are checked on quadratics whose minimum inside the box is known by hand.
"""

from __future__ import annotations

import numpy as np
import pytest

from labhelpers.transfer.optimizers import (
    DEFAULT_OPTIMIZER,
    OPTIMIZERS,
    Optimizer,
    adam,
    lbfgs,
    optimizer_label,
    projected_lbfgs,
    run_optimizer,
)
from labhelpers.transfer.settings import TransferSettings

#: A quadratic sum(a * (x - c)^2) with some centres outside [0, 1]: the box minimum is
#: clip(c, 0, 1).
CENTRE = np.array([[0.2, 0.9, -0.5], [1.7, 0.5, 0.33]], dtype=np.float32)


SCALE = np.array([[1.0, 10.0, 2.0], [0.5, 100.0, 3.0]], dtype=np.float32)


def quadratic(x: np.ndarray) -> tuple[float, np.ndarray]:
    return float(np.sum(SCALE * (x - CENTRE) ** 2)), (2 * SCALE * (x - CENTRE)).astype(np.float32)


def test_lbfgs_finds_the_box_minimum_in_the_evaluations_given():
    calls = []

    def counted(x):
        calls.append(1)
        return quadratic(x)

    x = lbfgs(counted, np.full(CENTRE.shape, 0.5, np.float32), evaluations=40)
    np.testing.assert_allclose(x, np.clip(CENTRE, 0, 1), atol=1e-4)
    assert len(calls) <= 40 and x.dtype == np.float32 and x.shape == CENTRE.shape
    calls.clear()
    lbfgs(counted, np.full(CENTRE.shape, 0.5, np.float32), evaluations=3)
    assert len(calls) == 3


def test_lbfgs_first_step_is_capped_and_the_minimum_still_found():
    """A steep quadratic: scipy's own first trial (the whole gradient) jumps to the box's
    corners."""
    steep = lambda x: tuple(1000 * v for v in quadratic(x))  # noqa: E731
    start = np.full(CENTRE.shape, 0.5, np.float32)
    for first_step, largest_change in ((None, 0.5), (0.05, 0.05)):
        points = []

        def seen(x):
            points.append(np.array(x))
            return steep(x)

        x = lbfgs(seen, start, evaluations=60, first_step=first_step)
        # the first trial point: 0.5 away from the start (the corner) by default, 0.05 with the cap
        assert np.max(np.abs(points[1] - start)) == pytest.approx(largest_change, rel=1e-5)
        np.testing.assert_allclose(
            x, np.clip(CENTRE, 0, 1), atol=1e-4
        )  # the cap changes only the start
    # a gradient smaller than the cap is left alone: the same points as scipy's own first step
    gentle = lambda x: tuple(v / 1000 for v in quadratic(x))  # noqa: E731 - largest gradient 0.008
    runs = [[], []]
    for points, first_step in zip(runs, (None, 0.05)):
        lbfgs(
            lambda x, p=points: (p.append(np.array(x)), gentle(x))[1],
            start,
            evaluations=5,
            first_step=first_step,
        )
    np.testing.assert_array_equal(runs[0][1], runs[1][1])


def test_projected_lbfgs_finds_the_box_minimum_by_hand_and_stays_in_the_box():
    points = []

    def seen(x):
        points.append(np.array(x))
        return quadratic(x)

    x = projected_lbfgs(
        seen, np.full(CENTRE.shape, 0.5, np.float32), evaluations=60, first_step=0.5
    )
    np.testing.assert_allclose(x, np.clip(CENTRE, 0, 1), atol=1e-4)
    assert len(points) <= 60 and x.dtype == np.float32 and x.shape == CENTRE.shape
    assert all(p.min() >= 0.0 and p.max() <= 1.0 for p in points), (
        "every trial point inside [0, 1]"
    )
    points.clear()
    projected_lbfgs(seen, np.full(CENTRE.shape, 0.5, np.float32), evaluations=3)
    assert len(points) == 3


def test_projected_lbfgs_agrees_with_scipy_on_a_coupled_quadratic(rng):
    """x^T A x / 2 - b^T x with A dense (well-conditioned) and its minimum partly outside the box:
    scipy's L-BFGS-B run to convergence is the independent reference."""
    from scipy.optimize import minimize

    n = 40
    q = rng.normal(size=(n, n))
    a = q @ q.T / n + np.eye(n)
    b = rng.normal(0.0, 2.0, n)

    def f(x):
        x = np.asarray(x, np.float64).ravel()
        return float(0.5 * x @ a @ x - b @ x), (a @ x - b).astype(np.float32)

    reference = minimize(
        lambda x: (float(0.5 * x @ a @ x - b @ x), a @ x - b),
        np.full(n, 0.5),
        jac=True,
        method="L-BFGS-B",
        bounds=[(0.0, 1.0)] * n,
        options={"ftol": 1e-15, "gtol": 1e-12},
    ).x
    assert 0 < np.sum((reference <= 1e-9) | (reference >= 1 - 1e-9)) < n, (
        "some values at a bound, some not"
    )
    x = projected_lbfgs(f, np.full(n, 0.5, np.float32), evaluations=300, first_step=0.5)
    np.testing.assert_allclose(x, reference, atol=2e-3)
    first = [np.array(x)]
    projected_lbfgs(
        lambda x: (first.append(np.array(x)), f(x))[1],
        np.full(n, 0.5, np.float32),
        evaluations=2,
        first_step=0.01,
    )
    assert np.max(np.abs(first[2] - 0.5)) == pytest.approx(0.01, rel=1e-4), (
        "the first trial is capped"
    )


def test_adam_steps_by_the_learning_rate_and_stays_in_the_box():
    start = np.full(CENTRE.shape, 0.5, np.float32)
    one = adam(quadratic, start, steps=1, learning_rate=0.02)
    # Adam's first step is -lr * sign(gradient) (m_hat / sqrt(v_hat) = g / |g|)
    np.testing.assert_allclose(one, start - 0.02 * np.sign(quadratic(start)[1]), atol=1e-6)
    x = adam(quadratic, start, steps=600, learning_rate=0.02)
    np.testing.assert_allclose(x, np.clip(CENTRE, 0, 1), atol=0.02)
    assert x.min() >= 0.0 and x.max() <= 1.0
    loose = adam(quadratic, start, steps=600, learning_rate=0.02, bounds=(None, None))
    assert loose[0, 2] < -0.4 and loose[1, 0] > 1.6  # without the box it goes outside


def test_each_registry_entry_runs_the_algorithm_it_is_named_after():
    """The registry's entries call the functions their names say (written out here by hand)."""
    by_hand = {
        "lbfgs": lambda start, n: lbfgs(quadratic, start, n, 10, 0.5),
        "adam": lambda start, n: adam(quadratic, start, steps=n),
        "projected_lbfgs": lambda start, n: projected_lbfgs(quadratic, start, n, 10, 0.5),
    }
    assert set(OPTIMIZERS) == set(by_hand)
    for name in OPTIMIZERS:
        start = np.full(CENTRE.shape, 0.5, np.float32)
        expected = by_hand[name](start.copy(), 7)
        got = run_optimizer(name, quadratic, start.copy(), 7, history=10, first_step=0.5)
        np.testing.assert_allclose(got, expected, atol=1e-6, err_msg=name)


def test_every_registered_optimizer_finds_the_box_minimum():
    """Each entry of the registry, called the way a run calls it, solves the quadratic by hand."""
    for name, entry in OPTIMIZERS.items():
        start = np.full(CENTRE.shape, 0.5, np.float32)
        x = run_optimizer(name, quadratic, start, 600, history=10, first_step=0.5)
        np.testing.assert_allclose(x, np.clip(CENTRE, 0, 1), atol=0.02, err_msg=name)
        assert entry.name == name and entry.label and entry.about
    assert optimizer_label("lbfgs") == "L-BFGS" and optimizer_label("sgd") == "sgd"
    with pytest.raises(ValueError, match="optimizer must be one of .*'adam'.*not 'sgd'"):
        run_optimizer("sgd", quadratic, np.zeros(CENTRE.shape, np.float32), 1)


def test_settings_and_runs_read_the_one_registry(monkeypatch):
    """An optimiser added to the registry is accepted by the settings and run by run_optimizer;
    the settings' default is the registry's default."""
    calls = []

    def one_step(f, x, n, _history, _first):
        calls.append(n)
        return np.clip(x - 0.01 * f(x)[1], 0.0, 1.0)

    assert TransferSettings(size=64, steps=1).optimizer == DEFAULT_OPTIMIZER
    with pytest.raises(ValueError, match="optimizer must be"):
        TransferSettings(size=64, steps=1, optimizer="gradient_descent")
    monkeypatch.setitem(
        OPTIMIZERS,
        "gradient_descent",
        Optimizer("gradient_descent", "gradient descent", "one small step", one_step),
    )
    assert TransferSettings(size=64, steps=1, optimizer="gradient_descent").optimizer == (
        "gradient_descent"
    )
    run_optimizer("gradient_descent", quadratic, np.full(CENTRE.shape, 0.5, np.float32), 3)
    assert calls == [3]
