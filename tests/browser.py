"""Headless Chromium for the HTML report tests: DevTools over a pipe, and PNG pixels."""

from __future__ import annotations

import contextlib
import json
import os
import select
import struct
import subprocess
import time
import zlib
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np

CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


class DevTools:
    """Headless Chromium driven over `--remote-debugging-pipe` (fds 3 and 4, NUL-framed JSON):
    sees every request and console message of the page, and no browser-internal traffic."""

    def __init__(self, chromium: str, profile: Path) -> None:
        self._command = [chromium, *CHROMIUM_FLAGS, f"--user-data-dir={profile}"]
        self._buffer = b""
        self._id = 0
        self._events: list[dict[str, Any]] = []
        self._session: str | None = None

    def __enter__(self) -> DevTools:
        to_browser, self._to_browser = os.pipe()
        self._from_browser, from_browser = os.pipe()
        fds = [os.dup(fd) for fd in (to_browser, from_browser)]  # kept clear of 3 and 4
        while min(fds) <= 4:
            fds = [os.dup(fd) for fd in fds]

        def child_pipes() -> None:
            os.dup2(fds[0], 3)
            os.dup2(fds[1], 4)

        self._process = subprocess.Popen(
            [*self._command, "--remote-debugging-pipe", "about:blank"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            close_fds=False,
            preexec_fn=child_pipes,
        )
        for fd in {to_browser, from_browser, *fds}:
            os.close(fd)
        target = self.send("Target.createTarget", url="about:blank")["targetId"]
        self._session = self.send("Target.attachToTarget", targetId=target, flatten=True)[
            "sessionId"
        ]
        for domain in ("Page", "Network", "Runtime", "Log"):
            self.send(f"{domain}.enable")
        return self

    def __exit__(self, *_: object) -> None:
        try:
            self._session = None
            self.send("Browser.close")
            self._process.wait(timeout=20)
        except (OSError, TimeoutError, subprocess.TimeoutExpired):
            self._process.kill()
            self._process.wait()
        finally:
            os.close(self._to_browser)
            os.close(self._from_browser)

    def load(self, url: str) -> list[dict[str, Any]]:
        """Navigate, wait for the load event and a moment more; the page's events."""
        self._events.clear()
        self.send("Page.navigate", url=url)
        self._wait(lambda m: m.get("method") == "Page.loadEventFired")
        with contextlib.suppress(TimeoutError):
            self._wait(lambda m: False, timeout=0.5)  # late requests and messages
        return [e for e in self._events if e.get("sessionId") == self._session]

    def evaluate(self, expression: str) -> Any:
        result = self.send("Runtime.evaluate", expression=expression, returnByValue=True)
        return result["result"]["value"]

    def send(self, method: str, **params: Any) -> dict[str, Any]:
        self._id += 1
        message: dict[str, Any] = {"id": self._id, "method": method, "params": params}
        if self._session is not None:
            message["sessionId"] = self._session
        os.write(self._to_browser, json.dumps(message).encode() + b"\0")
        reply = self._wait(lambda m, sent=self._id: m.get("id") == sent)
        assert "error" not in reply, reply
        return reply["result"]

    def _wait(self, wanted: Callable[[dict[str, Any]], bool], timeout: float = 30) -> dict:
        deadline = time.monotonic() + timeout
        while True:
            for message in self._messages():
                if wanted(message):
                    return message
                self._events.append(message)
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([self._from_browser], [], [], left)[0]:
                raise TimeoutError(f"no answer from Chromium in {timeout} s")
            chunk = os.read(self._from_browser, 1 << 16)
            if not chunk:
                raise OSError("Chromium closed the DevTools pipe")
            self._buffer += chunk

    def _messages(self) -> Iterator[dict[str, Any]]:
        while b"\0" in self._buffer:
            raw, _, self._buffer = self._buffer.partition(b"\0")
            yield json.loads(raw)


def png_pixels(data: bytes) -> np.ndarray:
    """An 8-bit RGB(A), non-interlaced PNG (as Chromium writes) as (height, width, channels)."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    chunks, position = {}, 8
    while position < len(data):
        (length,) = struct.unpack(">I", data[position : position + 4])
        kind = data[position + 4 : position + 8]
        chunks[kind] = chunks.get(kind, b"") + data[position + 8 : position + 8 + length]
        position += 12 + length
    width, height, depth, colour_type, _, _, interlace = struct.unpack(">IIBBBBB", chunks[b"IHDR"])
    assert depth == 8 and colour_type in (2, 6) and interlace == 0
    channels = 3 if colour_type == 2 else 4
    raw = np.frombuffer(zlib.decompress(chunks[b"IDAT"]), np.uint8)
    rows = raw.reshape(height, width * channels + 1).astype(np.int32)
    pixels = np.zeros((height, width * channels), np.int32)
    above = np.zeros(width * channels, np.int32)
    for y in range(height):
        pixels[y] = above = _unfilter(rows[y, 0], rows[y, 1:], above, channels)
    return pixels.reshape(height, width, channels).astype(np.uint8)


def _unfilter(kind: int, line: np.ndarray, above: np.ndarray, channels: int) -> np.ndarray:
    if kind == 0:
        return line
    if kind == 1:  # Sub: a running sum per channel
        return np.cumsum(line.reshape(-1, channels), axis=0).reshape(-1) & 255
    if kind == 2:  # Up
        return (line + above) & 255
    row, up = [0] * len(line), above.tolist()
    for x, value in enumerate(line.tolist()):
        left = row[x - channels] if x >= channels else 0
        if kind == 3:  # Average
            row[x] = (value + (left + up[x]) // 2) & 255
            continue
        corner = up[x - channels] if x >= channels else 0  # Paeth
        guess = left + up[x] - corner
        nearest = min((left, up[x], corner), key=lambda v: abs(guess - v))
        row[x] = (value + nearest) & 255
    return np.array(row, np.int32)
