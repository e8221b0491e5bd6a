"""Run an ASGI app (Starlette/FastAPI) with uvicorn in a background thread.

Used by the fake Telegram/Twilio servers, and usable by tests that want to serve the
project's own FastAPI app over real HTTP::

    with ASGIServer(app) as server:
        httpx.post(server.url + "/webhook/twilio", data=...)

The server binds 127.0.0.1 on an ephemeral port (the socket is bound *before* the thread
starts, so ``.url`` is valid immediately), runs its own event loop in a daemon thread and
is shut down (with a bounded graceful period) by :meth:`stop`.
"""

from __future__ import annotations

import asyncio
import socket
import threading
import time
from typing import Any

import uvicorn

__all__ = ["ASGIServer"]


class ASGIServer:
    """uvicorn + ASGI app on ``127.0.0.1:<ephemeral>`` in a background thread."""

    def __init__(
        self,
        app: Any,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        lifespan: str = "off",
        graceful_timeout: float = 2.0,
    ) -> None:
        self.app = app
        self.host = host
        self._requested_port = port
        self._lifespan = lifespan
        self._graceful_timeout = graceful_timeout
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None
        self._sock: socket.socket | None = None
        self._error: BaseException | None = None
        self.port: int | None = None
        self.loop: asyncio.AbstractEventLoop | None = None

    @property
    def url(self) -> str:
        if self.port is None:
            raise RuntimeError("server not started")
        return f"http://{self.host}:{self.port}"

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def start(self, timeout: float = 10.0) -> ASGIServer:
        if self._thread is not None:
            raise RuntimeError("server already started")
        # proto=IPPROTO_TCP matters: asyncio only sets TCP_NODELAY on accepted sockets whose
        # proto is IPPROTO_TCP; with proto=0 every response costs ~40 ms (Nagle+delayed ACK).
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((self.host, self._requested_port))
        self._sock = sock
        self.port = sock.getsockname()[1]
        config = uvicorn.Config(
            self.app,
            loop="asyncio",
            http="h11",
            ws="none",
            lifespan=self._lifespan,  # type: ignore[arg-type]
            log_config=None,  # don't touch global logging configuration
            log_level="warning",
            access_log=False,
            timeout_graceful_shutdown=self._graceful_timeout,
            timeout_keep_alive=5,
        )
        self._server = uvicorn.Server(config)
        # uvicorn only installs signal handlers in the main thread; nothing to disable.
        self._thread = threading.Thread(target=self._run, name=f"asgi-{self.port}", daemon=True)
        self._thread.start()
        deadline = time.monotonic() + timeout
        while not self._server.started:
            if self._error is not None or not self._thread.is_alive():
                self.stop()
                raise RuntimeError(f"ASGI server failed to start: {self._error!r}")
            if time.monotonic() > deadline:
                self.stop()
                raise TimeoutError("ASGI server did not start in time")
            time.sleep(0.005)
        return self

    def _run(self) -> None:
        assert self._server is not None and self._sock is not None

        async def main() -> None:
            self.loop = asyncio.get_running_loop()
            assert self._server is not None and self._sock is not None
            await self._server.serve(sockets=[self._sock])

        try:
            asyncio.run(main())
        except BaseException as exc:  # pragma: no cover - surfaced via start()
            self._error = exc

    def stop(self, timeout: float = 10.0) -> None:
        server, thread = self._server, self._thread
        if server is not None:
            server.should_exit = True
        if thread is not None:
            thread.join(timeout)
            if thread.is_alive() and server is not None:
                server.force_exit = True
                thread.join(timeout)
        if self._sock is not None:
            self._sock.close()
        self._server = None
        self._thread = None
        self._sock = None

    def __enter__(self) -> ASGIServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
