"""Running style transfer for the lesson panel: prepared transfers, one run at a time, Stop,
previews.

:class:`TransferRunner` is the part of the panel (:mod:`labhelpers.panel.view`) that does the
work; it imports no widgets and reports what happens through a :class:`RunEvents` object, so the
tests drive it with a fake one.

How Run and Stop work (and why)
-------------------------------
While a notebook cell runs, the kernel does not process widget events: a Stop click waits until
the cell has finished, which is too late. So by default (**background mode**) a run optimises in a
daemon ``threading.Thread`` and :meth:`TransferRunner.run` returns at once; the kernel stays idle
and free to receive the Stop click, which sets a ``threading.Event``.
:meth:`labhelpers.transfer.run.StyleTransfer.run` polls that event after every loss-and-gradient
evaluation, so a run stops within one evaluation (well under a second at lesson sizes) and
returns the best picture so far. Only one run at a time.

Google Colab has had trouble with widget updates sent from threads, so there the panel uses
**foreground mode** (``run(request, wait=True)``): the run optimises in the calling thread and the
kernel's *Interrupt* (Ctrl-C) ends it; ``StyleTransfer.run`` turns the ``KeyboardInterrupt`` into
a normal result holding the best picture.

Targets are computed once per (content, style, set-up)
------------------------------------------------------
The runner keeps the prepared :class:`~labhelpers.transfer.run.StyleTransfer` of the last few
(content, style, :meth:`~labhelpers.transfer.settings.TransferSettings.setup_key`) choices;
weights, steps, optimiser and colour preservation only change a run, so moving a slider never
recomputes VGG16 features or Gram matrices.

Prepared before the first Run
-----------------------------
:meth:`TransferRunner.prepare` builds a request's transfer and warms its compiled loss up (one
evaluation per stage: the trace takes 1-2 s) in a daemon thread; the panel starts it when it is
shown in background mode, so the first Run is as quick as every later one (AMD EPYC, 2 cores,
avx2/avx512f/avx512_bf16: first preview 0.3 tutorial steps and finished in 12 instead of 7.7 and
25; ``benchmarks/bench_panel.py``). A Run pressed meanwhile waits for it; in foreground mode
(Colab) nothing starts by itself.
"""

from __future__ import annotations

import threading
import time
import traceback
from collections import OrderedDict
from collections.abc import Callable, Hashable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from labhelpers.transfer.optimizers import optimizer_label
from labhelpers.transfer.settings import TransferSettings

__all__ = [
    "RunRequest",
    "RunEvents",
    "TransferRunner",
    "status_line",
    "wait_for_preparations",
    "PREVIEW_INTERVAL_S",
    "CURVES_INTERVAL_S",
    "CURVES_UNTIL_FRACTION",
    "CACHE_SIZE",
]

#: The preview is redrawn at most this often (seconds), and after the last step.
PREVIEW_INTERVAL_S = 0.2
#: The loss curves are redrawn at most this often during a run (seconds), and at the end (each
#: drawing takes a few tenths of a second, time the run does not get).
CURVES_INTERVAL_S = 4.0
#: ... but not in a run's last quarter of steps, where the drawing at the end comes soon anyway (in
#: the panel's default 5 s Run the drawing at 4 s cost 0.2 s, 4 % of the run, for 1 s of view).
CURVES_UNTIL_FRACTION = 0.75
#: How many prepared (content, style, set-up) transfers the runner keeps.
CACHE_SIZE = 3


@dataclass(frozen=True)
class RunRequest:
    """One run: which pictures, and with which settings.

    Attributes:
        content_key, style_key: hashable names of the pictures (a bundled name, an upload's
            digest, ...): equal keys mean the same picture, so prepared targets can be reused.
        load_pictures: ``load_pictures(size_px) -> (content, style)``, float32 (H, W, 3) in [0, 1],
            called only when the targets must be computed; may raise ValueError/ImageError with a
            message for the student.
        settings: the run's :class:`~labhelpers.transfer.settings.TransferSettings`.
    """

    content_key: Hashable
    style_key: Hashable
    load_pictures: Callable[[int], tuple[np.ndarray, np.ndarray]]
    settings: TransferSettings

    @property
    def cache_key(self) -> tuple:
        """What the prepared transfer depends on: the two pictures and the set-up settings."""
        return (self.content_key, self.style_key, self.settings.setup_key())


class RunEvents:
    """What a :class:`TransferRunner` reports; the panel overrides these, the defaults do nothing.

    In background mode every method except :meth:`started` is called from the run's thread.
    """

    def started(self, request: RunRequest, background: bool) -> None:
        """A run was accepted (called in the caller's thread, before anything is computed)."""

    def status(self, text: str) -> None:
        """A plain-text progress message ("Computing the targets ...")."""

    def error(self, message: str) -> None:
        """The run could not start or finish; ``message`` says why and what to do."""

    def progress(self, step: int, steps: int) -> None:
        """After every evaluation."""

    def preview(self, step: int, steps: int, image: np.ndarray, record: Mapping[str, Any]) -> None:
        """The best picture so far and the last loss record, at most every
        ``preview_interval_s``."""

    def curves(self, history: Sequence[Mapping[str, Any]]) -> None:
        """The loss history so far, at most every ``curves_interval_s`` and at the end."""

    def finished(self, result: Any, request: RunRequest) -> None:
        """The run ended with ``result`` (a StyleTransferResult; stopped or not)."""

    def ended(self) -> None:
        """The run is over (after :meth:`finished` or :meth:`error`); a new one may start."""


def _build_transfer(
    content: np.ndarray, style: np.ndarray, settings: TransferSettings, extractor: Any
) -> Any:
    # Imported here: labhelpers.transfer.run loads TensorFlow, which the runner's tests and the
    # panel's construction do not need.
    from labhelpers.transfer.run import StyleTransfer

    return StyleTransfer(content, style, settings, extractor=extractor)


def _build_extractor(settings: TransferSettings) -> Any:
    # Imported here for the same reason as in _build_transfer (TensorFlow).
    from labhelpers.network.extractor import build_feature_extractor

    return build_feature_extractor(settings.vgg_weights, verbose=False)


#: Preparations running in background threads (:meth:`TransferRunner.prepare`), for
#: :func:`wait_for_preparations`.
_PREPARING: set[threading.Thread] = set()
_PREPARING_LOCK = threading.Lock()


def wait_for_preparations(timeout_s: float = 60.0) -> bool:
    """Wait (up to ``timeout_s`` seconds in all) until no panel is preparing in the background.

    A timing taken meanwhile (the lessons' "about N s" estimates) would share the cores with the
    preparation and come out too slow. Returns True when none is left.
    """
    deadline = time.perf_counter() + timeout_s
    while True:
        with _PREPARING_LOCK:
            running = [thread for thread in _PREPARING if thread.is_alive()]
        if not running:
            return True
        left = deadline - time.perf_counter()
        if left <= 0:
            return False
        running[0].join(min(left, 1.0))


def status_line(result: Any) -> str:
    """The panel's status after a run: a headline ("Done: 10 steps.") and the result's own
    message."""
    steps = len(result.history)
    headline = {
        None: f"Done: {steps} steps.",
        "stop": f"Stopped after {steps} steps.",
        "interrupt": f"Interrupted after {steps} steps.",
    }.get(result.stopped, f"Ended after {steps} steps.")
    return f"{headline} {result.message}".strip()


class TransferRunner:
    """Prepares transfers (cached), runs one at a time in the background or foreground, stops on
    request.

    Args:
        events: where progress, previews and results are reported.
        extractor: a FeatureExtractor to use; by default one is built (from the first run's
            ``settings.vgg_weights``) when the first targets are computed.
        make_transfer: ``make_transfer(content, style, settings, extractor)`` -> an object with
            ``run(settings, *, callback, should_stop)``
            like :class:`~labhelpers.transfer.run.StyleTransfer` (the default).
        make_extractor: ``make_extractor(settings)`` -> a FeatureExtractor (default: built from
            ``settings.vgg_weights``).
        cache_size: how many prepared transfers to keep.
        preview_interval_s, curves_interval_s: throttling of :meth:`RunEvents.preview` and
            :meth:`RunEvents.curves` (seconds).

    Attributes:
        result: the last finished run's result (None before the first); ``last_request`` its
            request.
        current_request: the request of the run going on (None between runs).
        transfers_built: how many transfers (sets of targets) were prepared.
    """

    def __init__(
        self,
        events: RunEvents | None = None,
        extractor: Any = None,
        *,
        make_transfer: Callable[..., Any] = _build_transfer,
        make_extractor: Callable[[TransferSettings], Any] = _build_extractor,
        cache_size: int = CACHE_SIZE,
        preview_interval_s: float = PREVIEW_INTERVAL_S,
        curves_interval_s: float = CURVES_INTERVAL_S,
    ):
        self.events = events if events is not None else RunEvents()
        self.extractor = extractor
        self.make_transfer = make_transfer
        self.make_extractor = make_extractor
        self.cache_size = int(cache_size)
        self.preview_interval_s = float(preview_interval_s)
        self.curves_interval_s = float(curves_interval_s)
        self.result: Any = None
        self.last_request: RunRequest | None = None
        self.current_request: RunRequest | None = None  # the run going on, None between runs
        self.transfers_built = 0
        self._transfers: OrderedDict[tuple, Any] = OrderedDict()
        self._result_callbacks: list[Callable[[Any], Any]] = []
        self._stop = threading.Event()
        self._done = threading.Event()
        self._done.set()
        self._lock = threading.Lock()
        self._running = False
        self._prepare_lock = threading.Lock()  # one preparation at a time; a Run waits for it
        self._thread: threading.Thread | None = None

    @property
    def running(self) -> bool:
        """True while a run is going on."""
        return self._running

    def on_result(self, callback: Callable[[Any], Any]) -> None:
        """Call ``callback(result)`` whenever a run ends (None if it failed); in the run's
        thread."""
        self._result_callbacks.append(callback)

    def transfer_for(self, request: RunRequest) -> Any:
        """The prepared transfer for ``request``'s pictures and set-up: built once, then reused.

        While :meth:`prepare` builds one, this waits for it (and then usually finds it ready).
        """
        with self._prepare_lock:
            return self._transfer_for(request)

    def _transfer_for(self, request: RunRequest) -> Any:
        key = request.cache_key
        cached = self._transfers.get(key)
        if cached is not None:
            self._transfers.move_to_end(key)
            return cached
        if self.extractor is None:
            self.events.status("Loading the VGG16 network ...")
            self.extractor = self.make_extractor(request.settings)
        self.events.status(
            "Computing the targets (VGG16 features of the photo, Gram matrices of the "
            "painting) ..."
        )
        content, style = request.load_pictures(request.settings.size)
        built = self.make_transfer(content, style, request.settings, self.extractor)
        self.transfers_built += 1
        self._transfers[key] = built
        while len(self._transfers) > self.cache_size:
            self._transfers.popitem(last=False)
        return built

    def prepare(self, request: RunRequest, wait: bool = False) -> threading.Thread | None:
        """Build ``request``'s transfer and warm its compiled loss up before anyone presses Run.

        VGG16, the targets and the first trace of the loss take a few seconds; the panel starts
        this when it is shown (background mode only), so that the first Run starts as fast as
        every later one. Runs through :meth:`transfer_for` wait until it is done. A problem
        (pictures, weights) is reported through :meth:`RunEvents.error`; pressing Run tries again.

        Args:
            request: the run to prepare for (the panel's current choices).
            wait: True: prepare here and return None; False: in a daemon thread, returned.
        """
        if not wait:
            thread = threading.Thread(
                target=self._prepare_in_background,
                args=(request,),
                daemon=True,
                name="style-transfer-prepare",
            )
            with _PREPARING_LOCK:
                _PREPARING.add(thread)
            thread.start()
            return thread
        try:
            with self._prepare_lock:
                transfer = self._transfer_for(request)
                warm_up = getattr(transfer, "warm_up", None)
                if callable(warm_up):
                    self.events.status("Warming VGG16 up for the first Run ...")
                    warm_up(request.settings)
                if not self._running:
                    self.events.status("Ready: VGG16 and the targets are prepared; press Run.")
        except Exception as exc:  # noqa: BLE001 - shown to the student; a Run reports it again
            self.events.error(
                "Preparing the run did not work: "
                f"{(str(exc) or type(exc).__name__).rstrip('. ')}. Check the pictures and the "
                "weights, then press Run to try again."
            )
        return None

    def _prepare_in_background(self, request: RunRequest) -> None:
        try:
            self.prepare(request, wait=True)
        finally:
            with _PREPARING_LOCK:
                _PREPARING.discard(threading.current_thread())

    def run(self, request: RunRequest, wait: bool = False) -> Any:
        """Start a run; with ``wait=True`` optimise here and return the result.

        Raises:
            RuntimeError: a run is already going on.
            ImageError, ValueError, WeightsError: with ``wait=True`` only, when the run cannot
                start (also reported through :meth:`RunEvents.error`).
        """
        with self._lock:
            if self._running:
                raise RuntimeError(
                    "A run is already going on; press Stop (or call panel.stop()) first."
                )
            self._running = True
            self._done.clear()
        self._stop.clear()
        self.current_request = request
        self.events.started(request, background=not wait)
        if wait:
            return self._execute(request, raise_errors=True)
        self._thread = threading.Thread(
            target=self._execute, args=(request, False), daemon=True, name="style-transfer-run"
        )
        self._thread.start()
        return None

    def stop(self) -> bool:
        """Ask the current run to end after its current evaluation; False when none is going on."""
        if not self._running:
            return False
        self._stop.set()
        return True

    def wait(self, timeout_s: float | None = None) -> Any:
        """Wait until the current run (if any) has ended; return the last result.

        Raises:
            TimeoutError: the run is still going after ``timeout_s`` seconds.
        """
        if not self._done.wait(timeout_s):
            raise TimeoutError(
                f"The run did not end within {timeout_s} s; call panel.stop() to end it."
            )
        thread = self._thread
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout_s)
        return self.result

    def _execute(self, request: RunRequest, raise_errors: bool) -> Any:
        result = None
        try:
            transfer = self.transfer_for(request)
            s = request.settings
            where = (
                "in the background"
                if threading.current_thread() is not threading.main_thread()
                else "here"
            )
            self.events.status(
                f"Running {where}: {s.steps} steps at {s.size} px "
                f"({optimizer_label(s.optimizer)}) ..."
            )
            tracker = _StepTracker(self, s.steps)
            result = transfer.run(
                s.replace(callback_every=1), callback=tracker, should_stop=self._stop.is_set
            )
            self.result, self.last_request = result, request
            if result.history:
                self.events.curves(result.history)
            self.events.finished(result, request)
        except KeyboardInterrupt:
            self.events.status("Interrupted before the optimisation began; nothing to show yet.")
        except Exception as exc:  # noqa: BLE001 - shown to the student instead of lost in a thread
            message = str(exc) or type(exc).__name__
            if not isinstance(exc, ValueError) and type(exc).__name__ not in (
                "ImageError",
                "WeightsError",
            ):
                message = f"{type(exc).__name__}: {message}"
                traceback.print_exc()
            self.events.error(f"The run could not finish: {message}")
            if raise_errors:
                raise
        finally:
            with self._lock:
                self._running = False
                self.current_request = None
                self._done.set()
            self.events.ended()
            for callback in list(self._result_callbacks):
                try:
                    callback(result)
                except Exception:  # noqa: BLE001 - a broken callback must not break the runner
                    traceback.print_exc()
        return result


class _StepTracker:
    """The optimiser's callback for one run: progress every step, previews and curves throttled."""

    def __init__(self, runner: TransferRunner, steps: int):
        self.runner, self.steps = runner, steps
        self.history: list[dict[str, Any]] = []
        self.last_preview = -float("inf")  # the first picture is shown at once ...
        self.last_curves = time.perf_counter()  # ... the curves only once they have a few points

    def __call__(self, step: int, image: np.ndarray, record: Mapping[str, Any]) -> None:
        events = self.runner.events
        self.history.append(dict(record))
        events.progress(step, self.steps)
        now = time.perf_counter()
        if now - self.last_preview >= self.runner.preview_interval_s or step >= self.steps:
            self.last_preview = now
            events.preview(step, self.steps, image, record)
        if (
            now - self.last_curves >= self.runner.curves_interval_s
            and step <= CURVES_UNTIL_FRACTION * self.steps
        ):
            self.last_curves = now
            events.curves(self.history)
