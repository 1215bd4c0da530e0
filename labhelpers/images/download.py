"""Downloading a picture from an http(s) URL, bounded in time and size.

A server that sends nothing is given up after :data:`URL_TIMEOUT` seconds; one that keeps sending
slowly (a byte every few seconds) is given up once the whole download has taken
:data:`DOWNLOAD_TIME_LIMIT_S`; more than :data:`MAX_DOWNLOAD_BYTES` is refused.
"""

from __future__ import annotations

import http.client
import time
import urllib.error
import urllib.request

from labhelpers.images.arrays import ImageError

#: Seconds to wait for a web server before giving up on a URL.
URL_TIMEOUT = 20.0


#: Largest download accepted from a URL, in bytes.
MAX_DOWNLOAD_BYTES = 100 * 1024 * 1024
#: Seconds a whole download may take (a slow server is given up after this, plus at most
#: :data:`URL_TIMEOUT` for the read under way).
DOWNLOAD_TIME_LIMIT_S = 60.0
_USER_AGENT = "labhelpers/0.1 (Style Transfer Lab teaching notebooks; Python urllib)"


def download(url: str) -> bytes:
    """The bytes at an http(s) ``url``, bounded in time and size.

    Each read waits at most :data:`URL_TIMEOUT` s; the whole download stops after
    :data:`DOWNLOAD_TIME_LIMIT_S` s (plus at most one read); more than
    :data:`MAX_DOWNLOAD_BYTES` bytes are refused.

    Raises:
        ImageError: the server cannot be reached, answers with an error, is too slow, sends too
            much or nothing; the message says what to do instead.
    """
    request = urllib.request.Request(url, headers={"User-Agent": _USER_AGENT})
    advice = (
        "Check the address (does it open in a browser?), or download the picture yourself and "
        "pass its file path, e.g. load_image('my_picture.jpg')."
    )
    started = time.monotonic()
    parts: list[bytes] = []
    received = 0
    too_slow = False
    try:
        with urllib.request.urlopen(request, timeout=URL_TIMEOUT) as response:
            while received <= MAX_DOWNLOAD_BYTES:
                if time.monotonic() - started > DOWNLOAD_TIME_LIMIT_S:
                    too_slow = True
                    break
                chunk = response.read1(
                    1 << 16
                )  # returns what has arrived, never waits for a full 64 KiB
                if not chunk:
                    break
                parts.append(chunk)
                received += len(chunk)
    except urllib.error.HTTPError as exc:
        raise ImageError(
            f"Could not download {url}: the server answered {exc.code} {exc.reason}. {advice}"
        ) from exc
    except urllib.error.URLError as exc:
        raise ImageError(f"Could not download {url}: {exc.reason}. {advice}") from exc
    except (TimeoutError, OSError, ValueError, http.client.HTTPException) as exc:
        reason = (
            f"no answer within {URL_TIMEOUT:g} s" if isinstance(exc, TimeoutError) else str(exc)
        )
        raise ImageError(f"Could not download {url}: {reason}. {advice}") from exc
    if too_slow:
        raise ImageError(
            f"Could not download {url}: it was still arriving after {DOWNLOAD_TIME_LIMIT_S:g} s "
            f"({received} bytes so far); the server is too slow. {advice}"
        )
    if received > MAX_DOWNLOAD_BYTES:
        raise ImageError(
            f"{url} is larger than {MAX_DOWNLOAD_BYTES // (1024 * 1024)} MB; download a smaller "
            "version of the picture and pass its file path."
        )
    if not received:
        raise ImageError(f"Downloading {url} gave an empty file. {advice}")
    return b"".join(parts)
