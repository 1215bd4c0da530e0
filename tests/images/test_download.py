"""load_image from http(s) URLs, with local servers on 127.0.0.1 only (nothing touches
the internet).

Downloads are bounded by total time and size (issue 14, case 5): the slow server sends a valid HTTP
header and then one byte at a time with pauses, so every single read succeeds within the per-read
timeout: only a limit on the whole download ends it. The limits are module constants, lowered here
to keep the test fast.
"""

from __future__ import annotations

import http.server
import socket
import threading
import time

import numpy as np
import pytest

from labhelpers.images import ImageError, load_image
from labhelpers.images import download as image_download

from .pictures import noisy_rgb, png_bytes, rgb_image, write

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
    assert (
        "still arriving after 1 s" in message and "too slow" in message and "file path" in message
    )


def test_too_many_bytes_are_refused_without_reading_them_all(slow_server, monkeypatch):
    monkeypatch.setattr(image_download, "MAX_DOWNLOAD_BYTES", 5)
    started = time.monotonic()
    with pytest.raises(ImageError, match="larger than"):
        load_image(f"{slow_server}/drip.png")
    assert time.monotonic() - started < 3.0  # stopped after 6 bytes, not after all 60


# ----------------------------------------------------------------------------------------------
# URLs (local server only)
# ----------------------------------------------------------------------------------------------


@pytest.fixture
def server(monkeypatch):
    """A local HTTP server: {path: (status, content type, body)} -> base URL."""
    monkeypatch.setenv("no_proxy", "127.0.0.1,localhost")
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    routes: dict[str, tuple[int, str, bytes]] = {}

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802 - name fixed by http.server
            status, content_type, body = routes.get(self.path, (404, "text/plain", b"not found"))
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield routes, f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


def test_url_download(server):
    routes, base = server
    image = noisy_rgb(16, 12, seed=7)
    routes["/pic.png"] = (200, "image/png", png_bytes(image))
    loaded = load_image(f"{base}/pic.png")
    np.testing.assert_allclose(loaded, np.asarray(image, dtype=np.float32) / 255, atol=1e-7)
    assert load_image(f"{base}/pic.png", max_size=8).shape == (6, 8, 3)


def test_url_404(server):
    _, base = server
    url = f"{base}/missing.jpg"
    with pytest.raises(ImageError) as info:
        load_image(url)
    message = str(info.value)
    assert url in message and "404" in message and "download" in message.lower()


def test_url_to_a_web_page(server):
    routes, base = server
    routes["/page"] = (200, "text/html", b"<html><body>a painting</body></html>")
    with pytest.raises(ImageError, match="web page"):
        load_image(f"{base}/page")


def test_url_connection_refused(monkeypatch):
    monkeypatch.setenv("no_proxy", "127.0.0.1,localhost")
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    url = f"http://127.0.0.1:{port}/x.png"  # nobody listens on this port any more
    with pytest.raises(ImageError) as info:
        load_image(url)
    assert url in str(info.value) and "file path" in str(info.value)


def test_url_timeout(monkeypatch):
    monkeypatch.setenv("no_proxy", "127.0.0.1,localhost")
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    monkeypatch.setattr(image_download, "URL_TIMEOUT", 0.3)
    outcome: list[BaseException | None] = []

    def attempt(url: str) -> None:
        try:
            load_image(url)
            outcome.append(None)
        except BaseException as exc:  # noqa: BLE001 - reported to the test below
            outcome.append(exc)

    with socket.socket() as silent:  # accepts the connection (backlog) but never answers
        silent.bind(("127.0.0.1", 0))
        silent.listen(1)
        url = f"http://127.0.0.1:{silent.getsockname()[1]}/slow.png"
        # in a thread, so that a missing timeout fails the test instead of hanging it
        worker = threading.Thread(target=attempt, args=(url,), daemon=True)
        worker.start()
        worker.join(10)
    assert outcome, "load_image did not give up on a server that never answers"
    assert isinstance(outcome[0], ImageError) and "Could not download" in str(outcome[0])
    assert url in str(outcome[0])


def test_other_url_schemes(tmp_path):
    with pytest.raises(ImageError, match="only http"):
        load_image("ftp://example.org/a.png")
    path = write(tmp_path / "local.png", rgb_image(8, 8, (255, 255, 255)))
    np.testing.assert_allclose(load_image(path.as_uri()), 1.0)
