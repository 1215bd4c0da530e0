"""The bookkeeping of one run: history, best picture, stopping, and how the run ended.

:class:`RunRecorder` wraps every loss-and-gradient evaluation: it keeps the history and the best
picture, calls the callback and ``should_stop``, watches the time budget and divergence;
:class:`RunStopped` ends a run early and :func:`stop_message` says why, in the words every front
end (``stylize``, the CLI, the panel) shows.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from typing import Any

import numpy as np

from labhelpers.transfer.optimizers import ValueAndGrad, optimizer_label
from labhelpers.transfer.stages import StageDone

__all__ = [
    "EXPLODE_FACTOR",
    "STOP_REASONS",
    "RunStopped",
    "stop_message",
    "RunRecorder",
]


#: A total loss this many times the stage's first one counts as diverging.
EXPLODE_FACTOR = 1e4


#: Why a run ended early (``StyleTransferResult.stopped``), and what each front end says about it.
STOP_REASONS: dict[str | None, str] = {
    None: "Finished",
    "stop": "Stopped on request (should_stop / the Stop button)",
    "interrupt": "Interrupted (Ctrl-C)",
    "time_budget": "Stopped: the time budget was used up",
    "diverged": "Stopped: the loss diverged",
    "callback_error": "Stopped: the callback or should_stop raised an error",
}


class RunStopped(Exception):
    """Ends a run early; ``reason`` is a key of :data:`STOP_REASONS`, ``detail`` a sentence about
    it.

    ``error`` is the exception that caused it (for ``"callback_error"``), else None.
    """

    def __init__(self, reason: str, detail: str = "", error: BaseException | None = None):
        super().__init__(reason)
        self.reason = reason
        self.detail = detail
        self.error = error


def stop_message(
    reason: str | None,
    evaluations: int,
    seconds: float,
    best_step: int | None,
    best_total: float | None,
    detail: str = "",
    optimizer: str = "lbfgs",
    time_budget_s: float | None = None,
) -> str:
    """The one or two sentences that describe how a run ended (``StyleTransferResult.message``).

    Args:
        reason: None (finished) or a key of :data:`STOP_REASONS`.
        evaluations: loss-and-gradient evaluations done; ``seconds``: how long they took.
        best_step, best_total: the step (1-based) and total loss of the picture returned (None: no
            step finished, the starting picture is returned).
        detail: what went wrong (for ``"diverged"`` and ``"callback_error"``).
        optimizer: ``"lbfgs"``, ``"projected_lbfgs"`` or ``"adam"``; ``time_budget_s``: the budget,
            for ``"time_budget"``.
    """
    name = optimizer_label(optimizer)
    done = f"{evaluations} evaluation(s) ({name}) in {seconds:.1f} s"
    best = (
        f"best total loss {best_total:.4g} at step {best_step}"
        if best_step is not None
        else "no step finished, so the starting picture is returned"
    )
    if reason is None:
        return f"Finished {done}; {best}."
    why = STOP_REASONS[reason]
    if reason == "time_budget" and time_budget_s is not None:
        why = f"Stopped: the time budget of {time_budget_s:g} s was used up"
    elif reason in ("diverged", "callback_error") and detail:
        why = f"Stopped: {detail}"
    advice = {
        "diverged": (
            " Lower style_weight/content_weight, or use optimizer='lbfgs'; the last good picture "
            "was kept."
        ),
        "callback_error": " Fix the function that raised; result.error holds its exception.",
    }.get(reason, "")
    return f"{why} after {done}; {best}; returning the best picture so far.{advice}"


class RunRecorder:
    """History, best picture, callback and stop conditions of one run, around every evaluation.

    Args:
        steps: evaluations in the whole run (all stages).
        callback: ``callback(step, picture, record)`` every ``callback_every`` evaluations and
            after the last; ``picture`` is the best so far as shown (see ``show``).
        callback_every: see ``callback``.
        should_stop: polled after every evaluation; True ends the run (``"stop"``).
        time_budget_s: seconds; the run ends after the first evaluation that finishes later.
        progress: show a tqdm progress bar.

    :meth:`wrap` turns an objective's ``evaluate``/``record`` into the ``value_and_grad`` the
    optimisers take; it raises :class:`RunStopped` to end the run. An exception raised by
    ``callback`` or ``should_stop`` ends the run as ``"callback_error"`` (the exception is kept in
    ``error``); ``KeyboardInterrupt`` passes through (Ctrl-C).
    """

    def __init__(
        self,
        steps: int,
        callback: Callable[[int, np.ndarray, dict], Any] | None = None,
        callback_every: int = 10,
        should_stop: Callable[[], bool] | None = None,
        time_budget_s: float | None = None,
        progress: bool = False,
    ):
        self.steps, self.callback, self.callback_every = steps, callback, callback_every
        self.should_stop, self.time_budget_s = should_stop, time_budget_s
        self.history: list[dict[str, Any]] = []
        self.step = 0
        self.best_total = math.inf
        self.best_image: np.ndarray | None = None
        self.best_step: int | None = None
        self.stopped: str | None = None
        self.detail = ""
        self.error: BaseException | None = None
        self.start = time.perf_counter()
        self._first_total: float | None = None
        self._stage_size = 0
        self._stage_deadline_s: float | None = None
        self._last_stage = True
        self._show: Callable[[np.ndarray], np.ndarray] = lambda picture: picture
        self._bar = None
        if progress:
            from tqdm.auto import tqdm  # lazy: only when a bar is asked for

            self._bar = tqdm(total=steps, unit="eval", desc="stylize", leave=True)

    def begin_stage(
        self,
        stage_size: int,
        show: Callable[[np.ndarray], np.ndarray] | None = None,
        deadline_s: float | None = None,
        last: bool = True,
    ) -> None:
        """A new stage of ``stage_size`` px: best picture and divergence reference restart at this
        scale.

        ``show(picture) -> picture`` turns the optimised picture into the one the callback sees
        (luminance mode puts the photo's colours back). ``deadline_s`` (seconds since the run
        started; see :func:`stage_deadlines`) ends a stage that is not the ``last`` with
        :class:`StageDone` after its first evaluation that finishes later; the last stage's
        deadline is the run's time budget. Every stage does at least one evaluation.
        """
        self._stage_size = stage_size
        self._stage_deadline_s, self._last_stage = deadline_s, last
        self._show = show or (lambda picture: picture)
        self.best_total, self._first_total = math.inf, None

    def _check(self, total: float, terms: np.ndarray, grad: np.ndarray) -> None:
        step = self.step + 1
        if not (math.isfinite(total) and np.all(np.isfinite(terms)) and np.all(np.isfinite(grad))):
            what = "NaN" if (math.isnan(total) or np.isnan(terms).any()) else "infinite"
            if math.isfinite(total) and np.all(np.isfinite(terms)):
                what += " gradient"
            raise RunStopped("diverged", f"the loss became {what} at step {step}")
        if self._first_total is not None and total > EXPLODE_FACTOR * max(
            self._first_total, 1e-30
        ):
            raise RunStopped(
                "diverged",
                f"the loss exploded at step {step} ({total:.4g}, "
                f"{total / self._first_total:.3g} times the stage's first)",
            )

    def _call_user(self, what: str, function: Callable, *args: Any) -> Any:
        try:
            return function(*args)
        except (KeyboardInterrupt, RunStopped):
            raise
        # any error of the user's function ends the run, keeps the picture
        except Exception as exc:  # noqa: BLE001
            raise RunStopped(
                "callback_error", f"{what} raised {type(exc).__name__}: {exc}", exc
            ) from exc

    def wrap(
        self,
        evaluate: Callable[[np.ndarray], tuple[float, np.ndarray, np.ndarray]],
        record: Callable[[np.ndarray], dict[str, Any]],
    ) -> ValueAndGrad:
        """``value_and_grad(picture)`` for the optimisers: evaluates, checks, records, calls back,
        stops."""

        def value_and_grad(image: np.ndarray) -> tuple[float, np.ndarray]:
            total, terms, grad = evaluate(image)
            self._check(total, terms, grad)
            self.step += 1
            entry = {
                "step": self.step,
                "seconds": time.perf_counter() - self.start,
                **record(terms),
                "stage_size": self._stage_size,
            }
            self.history.append(entry)
            if self._first_total is None:
                self._first_total = total
            if entry["total"] < self.best_total:
                self.best_total, self.best_step = entry["total"], self.step
                self.best_image = np.array(image, dtype=np.float32, copy=True)
            if self._bar is not None:
                self._bar.update(1)
                self._bar.set_postfix(loss=f"{entry['total']:.4g}", refresh=False)
            if self.callback is not None and (
                self.step % self.callback_every == 0 or self.step == self.steps
            ):
                self._call_user(
                    "the callback", self.callback, self.step, self._show(self.best_image), entry
                )
            if self.should_stop is not None and self._call_user("should_stop", self.should_stop):
                raise RunStopped("stop")
            if (
                self._last_stage
                and self.time_budget_s is not None
                and entry["seconds"] >= self.time_budget_s
            ):
                raise RunStopped("time_budget")
            if (
                not self._last_stage
                and self._stage_deadline_s is not None
                and entry["seconds"] >= self._stage_deadline_s
            ):
                raise StageDone()
            return total, grad

        return value_and_grad

    def stop(self, reason: str, detail: str = "", error: BaseException | None = None) -> None:
        """Note why the run ended early."""
        self.stopped, self.detail, self.error = reason, detail, error

    def close(self) -> None:
        """Close the progress bar (if any)."""
        if self._bar is not None:
            self._bar.close()

    def message(self, optimizer: str) -> str:
        """:func:`stop_message` for this run."""
        return stop_message(
            self.stopped,
            self.step,
            time.perf_counter() - self.start,
            self.best_step,
            self.best_total if self.best_step is not None else None,
            self.detail,
            optimizer,
            self.time_budget_s,
        )
