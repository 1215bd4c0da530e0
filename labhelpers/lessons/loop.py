"""The optimisation loop around a student's step, with a live picture, loss curves and a progress bar.

:func:`run_steps` calls ``step(image, loss_fn, optimizer)`` (the lesson-05 exercise) ``steps`` times,
keeps the picture with the lowest loss, and every ``every`` steps shows the picture, the loss curves
and a progress bar. In Jupyter these are three outputs of the cell updated in place (IPython display
handles); in a plain script a progress line is printed instead. Interrupting the kernel (the ■
button, or Ctrl-C) ends the loop early and keeps the best picture so far.

Which picture is "best": the step returns the loss of the picture it was *given*, so before each
step the loop keeps a copy of the picture; the copy whose loss was lowest is the result. The last
picture is evaluated once more after the loop so that it can win too.
"""

from __future__ import annotations

import io
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Optional

import numpy as np

from labhelpers.images import to_uint8

if TYPE_CHECKING:  # pragma: no cover - only for type checkers
    from matplotlib.figure import Figure

__all__ = ["LoopResult", "run_steps", "format_progress", "plot_loop_losses", "CURVES_INTERVAL_S"]

#: The live loss curves are redrawn at most this often (seconds) and after the last step: drawing
#: them takes about 0.25 s on two CPU cores, a quarter of a second that the optimisation waits.
CURVES_INTERVAL_S = 3.0


@dataclass
class LoopResult:
    """What :func:`run_steps` returns.

    Attributes:
        image: the picture with the lowest loss, float32 (H, W, 3) in [0, 1].
        best_step: how many steps had been taken when that picture was current (0 = the start).
        losses: the loss returned by each step, i.e. of the picture before step 1, 2, ...
        seconds: seconds since the loop started, after each step.
        terms: ``{"step": k, "seconds": s, name: value, ...}`` records of ``terms(image)`` every
            ``every`` steps (empty without a ``terms`` function).
        steps_done: steps that finished (fewer than asked when interrupted).
        stopped: None, or ``"interrupt"`` when the kernel was interrupted.
        final_loss: the loss of the picture after the last step (None when interrupted).
    """

    image: np.ndarray
    best_step: int
    losses: list[float] = field(default_factory=list)
    seconds: list[float] = field(default_factory=list)
    terms: list[dict[str, float]] = field(default_factory=list)
    steps_done: int = 0
    stopped: Optional[str] = None
    final_loss: Optional[float] = None

    @property
    def best_loss(self) -> float:
        """The lowest loss seen (that of the returned picture)."""
        seen = self.losses + ([self.final_loss] if self.final_loss is not None else [])
        return float(min(seen)) if seen else float("nan")

    @property
    def message(self) -> str:
        """One sentence about how the loop ended."""
        why = "interrupted" if self.stopped == "interrupt" else "finished"
        total = self.seconds[-1] if self.seconds else 0.0
        return (f"{why} after {self.steps_done} steps in {total:.1f} s; best loss {self.best_loss:.4g} "
                f"(the picture after {self.best_step} steps)")


def format_progress(done: int, steps: int, seconds: float, loss: float, width: int = 24) -> str:
    """A one-line text progress bar: ``[#####-----]  20/100 steps  4.2 s  loss 1.23e+03  ~17 s left``.

    Args:
        done: steps finished; steps: steps asked for; seconds: elapsed seconds; loss: the latest loss.
        width: characters of the bar.
    """
    filled = int(round(width * done / max(steps, 1)))
    left = seconds / done * (steps - done) if done else float("nan")
    eta = f"  ~{left:.0f} s left" if done and done < steps else ""
    return f"[{'#' * filled}{'-' * (width - filled)}] {done:>4}/{steps} steps  {seconds:6.1f} s  loss {loss:.4g}{eta}"


def plot_loop_losses(result: LoopResult, title: Optional[str] = None, ax: Any = None) -> "Figure":
    """The loss after every step (thin) and the recorded terms (markers), log scale, against the step."""
    import matplotlib.pyplot as plt

    if ax is None:
        figure, ax = plt.subplots(figsize=(5.2, 3.2), layout="constrained")
    else:
        figure = ax.figure
    if result.losses:
        ax.plot(np.arange(1, len(result.losses) + 1), result.losses, lw=1.6, color="C0", label="total (every step)")
    names = [name for name in (result.terms[0] if result.terms else {}) if name not in ("step", "seconds", "total")]
    for index, name in enumerate(names, start=1):
        steps = [record["step"] for record in result.terms]
        values = np.array([record[name] for record in result.terms], dtype=float)
        if np.any(values > 0):
            ax.plot(steps, np.where(values > 0, values, np.nan), marker="o", ms=3, lw=1, color=f"C{index}", label=name)
    ax.set_yscale("log")
    ax.set_xlabel("step")
    ax.set_ylabel("loss")
    ax.grid(True, which="major", alpha=0.3)
    if result.losses or names:
        ax.legend(fontsize=8)
    if title:
        ax.set_title(title, fontsize=10)
    return figure


def _png(image: np.ndarray) -> bytes:
    """The picture (H, W, 3) in [0, 1] as PNG bytes."""
    from PIL import Image

    buffer = io.BytesIO()
    Image.fromarray(to_uint8(np.clip(image, 0.0, 1.0))).save(buffer, format="PNG")
    return buffer.getvalue()


def _figure_png(result: LoopResult, title: Optional[str]) -> bytes:
    import matplotlib.pyplot as plt

    figure = plot_loop_losses(result, title)
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=80)
    plt.close(figure)
    return buffer.getvalue()


class _View:
    """Three outputs updated in place in Jupyter (picture, curves, progress), or printed lines elsewhere."""

    def __init__(self, live: bool, title: Optional[str], steps: int) -> None:
        self.title, self.steps = title, steps
        self.curves_drawn_at = -np.inf  # time.perf_counter() of the last drawing of the curves
        self.handles: Optional[list[Any]] = None
        if live:
            from IPython.display import HTML, display

            self.handles = [display(HTML(""), display_id=True) for _ in range(3)]

    def show(self, image: np.ndarray, result: LoopResult, line: str, final: bool = False) -> None:
        """Show the picture and the progress; the curves too when ``final`` (the loop has ended) or
        :data:`CURVES_INTERVAL_S` have passed since they were last drawn."""
        if self.handles is None:
            print(line, flush=True)
            return
        from IPython.display import HTML, Image

        self.handles[0].update(Image(data=_png(image)))
        now = time.perf_counter()
        if (final or now - self.curves_drawn_at >= CURVES_INTERVAL_S) and (result.losses or result.terms):
            self.handles[1].update(Image(data=_figure_png(result, self.title)))
            self.curves_drawn_at = now
        self.handles[2].update(HTML(f"<progress value='{result.steps_done}' max='{self.steps}' "
                                    f"style='width:240px'></progress> <code>{line.split('] ', 1)[-1]}</code>"))


def _in_notebook() -> bool:
    try:
        from IPython import get_ipython
    except ImportError:
        return False
    shell = get_ipython()
    return shell is not None and hasattr(shell, "kernel")


def run_steps(step: Callable[[Any, Callable, Any], Any], image: Any, loss_fn: Callable[[Any], Any], optimizer: Any,
              steps: int, *, every: int = 10, terms: Optional[Callable[[Any], dict[str, float]]] = None,
              live: Optional[bool] = None, title: Optional[str] = None) -> LoopResult:
    """Run ``step(image, loss_fn, optimizer)`` ``steps`` times; show progress; keep the best picture.

    Args:
        step: the optimisation step (the lesson's exercise); returns the loss of the picture it got.
        image: the picture, a ``tf.Variable`` (1, H, W, 3) float32 in [0, 1]; updated in place.
        loss_fn: picture -> scalar loss (passed on to ``step``).
        optimizer: a Keras optimiser (passed on to ``step``; its state carries over between steps).
        steps: how many steps (>= 1).
        every: refresh the picture, the curves and the progress line every this many steps.
        terms: optional ``picture -> {name: value}`` (e.g. the weighted content, style and TV
            terms), evaluated every ``every`` steps for the curves; costs one extra evaluation then.
        live: True: update outputs in place (Jupyter); False: print progress lines; None: decide
            from whether this runs in a Jupyter kernel.
        title: title of the loss plot.

    Returns:
        A :class:`LoopResult`. Interrupting the kernel (KeyboardInterrupt) ends the loop early with
        ``stopped="interrupt"`` and the best picture so far; it is not raised further.

    Raises:
        ValueError: ``steps`` or ``every`` is not a whole number >= 1.
    """
    for name, value in (("steps", steps), ("every", every)):
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
            raise ValueError(f"{name} must be a whole number >= 1 such as 100, not {value!r}.")
    view = _View(_in_notebook() if live is None else bool(live), title, int(steps))
    best_image, best_loss = np.asarray(image.numpy()[0], np.float32), np.inf
    result = LoopResult(image=best_image, best_step=0)
    started = time.perf_counter()
    try:
        for number in range(1, int(steps) + 1):
            before = np.asarray(image.numpy()[0], np.float32)
            loss = float(step(image, loss_fn, optimizer))
            result.losses.append(loss)
            result.seconds.append(time.perf_counter() - started)
            result.steps_done = number
            if loss < best_loss:
                best_loss, result.image, result.best_step = loss, before, number - 1
            if number % every == 0 or number == steps:
                if terms is not None:
                    record = {name: float(value) for name, value in terms(image).items()}
                    result.terms.append({"step": float(number), "seconds": result.seconds[-1], **record})
                view.show(np.asarray(image.numpy()[0]), result,
                          format_progress(number, int(steps), result.seconds[-1], loss))
        result.final_loss = float(loss_fn(image))  # the last picture has not been scored by a step yet
        if result.final_loss < best_loss:
            result.image, result.best_step = np.asarray(image.numpy()[0], np.float32), result.steps_done
    except KeyboardInterrupt:
        result.stopped = "interrupt"
    view.show(result.image, result, format_progress(result.steps_done, int(steps),
                                                    result.seconds[-1] if result.seconds else 0.0,
                                                    result.best_loss), final=True)
    print(result.message)
    return result
