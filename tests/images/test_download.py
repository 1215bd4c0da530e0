"""Downloads are bounded by total time and size (issue 14, case 5), with a local slow server.

The server on 127.0.0.1 sends a valid HTTP header and then one byte at a time with pauses, so
every single read succeeds within the per-read timeout: only a limit on the whole download ends
it. The limits are module constants, lowered here to keep the test fast.
"""

from __future__ import annotations

import http.server
import threading
import time

import pytest

from labhelpers.images import ImageError, load_image
from labhelpers.images import download as image_download

DRIP_BYTES = 60
DRIP_PAUSE_S = 0.1  # the whole drip takes 6 s; each read sees a byte well within its timeout


@pytest.fixture
def slow_server(monkeypatch):
    """A server whose picture arrives one byte every DRIP_PAUSE_S seconds; yields its base URL."""
    monkeypatch.setenv("no_proxy", "127.0.0.1,localhost")
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    stop = threading.Event()

    class Dripping(http.server.BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802 - name fixed by http.server
            self.send_response(200)
            self.send_header("Content-Type", "image/png")
            self.send_header("Content-Length", str(DRIP_BYTES))
            self.end_headers()
            try:
                for _ in range(DRIP_BYTES):
                    if stop.is_set():
                        return
                    self.wfile.write(b"\x89")
                    self.wfile.flush()
                    time.sleep(DRIP_PAUSE_S)
            except (BrokenPipeError, ConnectionResetError):
                return  # the client gave up: what the test wants

        def log_message(self, *args):
            pass

    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Dripping)
    httpd.daemon_threads = True
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    stop.set()
    httpd.shutdown()
    httpd.server_close()


def test_a_dripping_server_is_given_up_after_the_total_time_limit(slow_server, monkeypatch):
    monkeypatch.setattr(image_download, "URL_TIMEOUT", 1.0)
    monkeypatch.setattr(image_download, "DOWNLOAD_TIME_LIMIT_S", 1.0)
    outcome: list[BaseException | None] = []

    def attempt() -> None:
        try:
            load_image(f"{slow_server}/drip.png")
            outcome.append(None)
        except BaseException as exc:  # noqa: BLE001 - reported below
            outcome.append(exc)

    started = time.monotonic()
    worker = threading.Thread(target=attempt, daemon=True)  # a missing bound fails, never hangs
    worker.start()
    worker.join(DRIP_BYTES * DRIP_PAUSE_S + 5)
    elapsed_s = time.monotonic() - started
    assert outcome, "load_image never returned"
    assert elapsed_s < 1.0 + 1.0 + 1.5, f"took {elapsed_s:.1f} s; the limit is 1 s plus one read"
    assert isinstance(outcome[0], ImageError), outcome[0]
    message = str(outcome[0])
    assert "still arriving after 1 s" in message and "too slow" in message and "file path" in message


def test_too_many_bytes_are_refused_without_reading_them_all(slow_server, monkeypatch):
    monkeypatch.setattr(image_download, "MAX_DOWNLOAD_BYTES", 5)
    started = time.monotonic()
    with pytest.raises(ImageError, match="larger than"):
        load_image(f"{slow_server}/drip.png")
    assert time.monotonic() - started < 3.0  # stopped after 6 bytes, not after all 60
