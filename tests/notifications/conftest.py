"""Notifications tests: events as handlers receive them, and a real HTTP receiver for webhooks."""

from __future__ import annotations

import itertools
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from qc.db import utcnow
from qc.jobs.events import EventRecord

_ids = itertools.count(10_000)


def event(event_type: str, payload: dict[str, Any]) -> EventRecord:
    """An event as the outbox hands it to handlers (its id only names it: no row needed)."""
    return EventRecord(next(_ids), uuid.uuid4().hex, event_type, payload, utcnow())


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes


@dataclass
class Receiver:
    """A webhook receiver on 127.0.0.1: answers each POST with the next status of `script`
    (the last one repeats), after `delay_s`."""

    url: str
    script: list[int] = field(default_factory=lambda: [200])
    delay_s: float = 0.0
    requests: list[Received] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def answer(self, request: Received) -> int:
        with self.lock:
            self.requests.append(request)
            n = len(self.requests)
        return self.script[min(n, len(self.script)) - 1]


@contextmanager
def running_receiver(path: str = "/hooks/qc-tok-7f3a9") -> Iterator[Receiver]:
    """A `Receiver` listening on 127.0.0.1 (a free port) at `path`, until the block ends."""
    box: dict[str, Receiver] = {}

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            rec = box["r"]
            time.sleep(rec.delay_s)
            status = rec.answer(Received(self.path, {k.lower(): v for k, v in self.headers.items()}, body))
            reply = b'{"ok": true}' if status < 300 else b"receiver says no"
            self.send_response(status)
            self.send_header("Content-Length", str(len(reply)))
            self.end_headers()
            self.wfile.write(reply)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    box["r"] = Receiver(url=f"http://127.0.0.1:{server.server_address[1]}{path}")
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield box["r"]
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with running_receiver() as found:
        yield found
