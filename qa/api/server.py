"""Running the service: uvicorn with a header deadline, one or more workers, and reload on SIGHUP.

uvicorn bounds idle keep-alive connections but not a client that opens a connection and sends its
headers slowly (or never): each such connection is held forever. `EdgeProtocol` closes it with
a 408 once `QA_HEADER_TIMEOUT_S` passes before the headers are complete, and lets a retiring
worker drain its keep-alive connections instead of cutting them. Bodies are bounded by
`qa.api.limits.BoundedBodies`.

With several workers uvicorn's supervisor owns SIGHUP: it starts a fresh worker (which loads the
index `qa index build` last completed) and retires an old one only once the new one serves, one
at a time. A single worker reloads in place on SIGHUP (see `qa.api.admin`).
"""

from __future__ import annotations

import asyncio
import copy
import os
import socket
import tempfile

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from qa.config import Settings, get_settings

REQUEST_TIMEOUT = (b"HTTP/1.1 408 Request Timeout\r\ncontent-type: text/plain; charset=utf-8\r\n"
                   b"connection: close\r\ncontent-length: 16\r\n\r\nRequest Timeout\n")


# How long a retiring worker keeps an idle keep-alive connection open for a request already on its way.
DRAIN_S = 2.0


class EdgeProtocol(HttpToolsProtocol):
    """uvicorn's httptools protocol, plus a deadline from a connection's (or request's) first byte to
    its last header, and a graceful drain of idle keep-alive connections when the worker retires."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.header_timeout_s = get_settings().header_timeout_s
        self.header_deadline: asyncio.TimerHandle | None = None
        self.draining = False

    def shutdown(self) -> None:
        """A retiring worker (reload, scale-down) must not fail a request.

        uvicorn closes an idle keep-alive connection at once, but its client may be sending the
        next request on it at that very moment, and then sees the server hang up without an answer
        (HTTP/1.1 has no way to say "not this connection" beforehand). So an idle connection gets
        `DRAIN_S` more: a request that arrives is answered with `connection: close`, and the
        connection is closed once idle. A request in progress is answered the same way.
        """
        self.draining = True
        if self.cycle is None or self.cycle.response_complete:
            self.loop.call_later(DRAIN_S, self._close_when_idle)
        else:
            self.cycle.keep_alive = False

    def _close_when_idle(self) -> None:
        if (self.cycle is None or self.cycle.response_complete) and not self.transport.is_closing():
            self.transport.close()

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._arm()

    def on_message_begin(self) -> None:
        super().on_message_begin()
        self._arm()

    def on_headers_complete(self) -> None:
        self._disarm()
        super().on_headers_complete()
        if self.draining and self.cycle is not None:
            self.cycle.keep_alive = False

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        super().connection_lost(exc)

    def _arm(self) -> None:
        self._disarm()
        self.header_deadline = self.loop.call_later(self.header_timeout_s, self._expire)

    def _disarm(self) -> None:
        if self.header_deadline is not None:
            self.header_deadline.cancel()
            self.header_deadline = None

    def _expire(self) -> None:
        self.header_deadline = None
        if self.cycle is not None and not self.cycle.response_complete:
            return  # a request is being answered; its body is BoundedBodies' business
        if not self.transport.is_closing():
            self.transport.write(REQUEST_TIMEOUT)
            self.transport.close()


def app_factory():
    """What each worker process builds: the app over the settings in its environment."""
    from qa.api.app import create_app

    return create_app(get_settings())


def run(settings: Settings, host: str, port: int, workers: int, preloaded=None) -> None:
    """Serve until stopped. One worker serves `preloaded` in this process; more are spawned by uvicorn."""
    import uvicorn

    common = dict(host=host, port=port, http=EdgeProtocol, log_config=_log_config(), access_log=False,
                  timeout_graceful_shutdown=30,
                  limit_concurrency=settings.max_concurrent_requests * 4)  # a backstop for connections
    if workers == 1:
        from qa.api.app import create_app

        uvicorn.run(create_app(settings, preloaded), **common)
    else:
        from uvicorn.supervisors import Multiprocess

        # Workers write their metrics here for /metrics to add up (see qa.api.observability).
        os.environ.setdefault("PROMETHEUS_MULTIPROC_DIR", tempfile.mkdtemp(prefix="qa-metrics-"))
        # The replacement worker must load the index before the supervisor's patience runs out.
        config = uvicorn.Config("qa.api.server:app_factory", factory=True, workers=workers,
                                timeout_worker_healthcheck=300, **common)
        Multiprocess(config, sockets=[PerWorkerListener.bound(host, port)]).run()


class PerWorkerListener(socket.socket):
    """The supervisor's socket, which each worker replaces with a listener of its own on the same
    address (SO_REUSEPORT), so that the kernel spreads new connections evenly over the workers.

    With one shared listening socket, whichever worker wakes first accepts a whole burst of
    connections (asyncio accepts up to the backlog per wake-up) and keeps their keep-alive
    traffic: measured here, one worker did 95% of the work under 16 clients. The supervisor's
    socket is bound (it reserves the port) but never listens, so it takes no connections itself.
    It reaches a worker pickled as its address (multiprocessing's socket reducer matches the exact
    type `socket.socket` only), and the worker opens its own listener there.
    """

    @classmethod
    def bound(cls, host: str, port: int) -> PerWorkerListener:
        sock = cls(socket.AF_INET6 if ":" in host else socket.AF_INET, socket.SOCK_STREAM)
        _share_port(sock)
        sock.bind((host, port))
        return sock

    def __reduce__(self):
        return _worker_listener, (self.family, self.getsockname()[:2])


def _share_port(sock: socket.socket) -> None:
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)


def _worker_listener(family: int, address: tuple[str, int]) -> socket.socket:
    """In a worker: its own socket on the supervisor's address (uvicorn's server makes it listen)."""
    sock = socket.socket(family, socket.SOCK_STREAM)
    _share_port(sock)
    sock.bind(address)
    sock.set_inheritable(True)
    return sock


def _log_config() -> dict:
    """uvicorn's logging, plus the service's own JSON request lines (logger `qa.access`) on stdout."""
    from uvicorn.config import LOGGING_CONFIG

    config = copy.deepcopy(LOGGING_CONFIG)
    config["formatters"]["json_line"] = {"format": "%(message)s"}
    config["handlers"]["json_line"] = {"class": "logging.StreamHandler", "formatter": "json_line",
                                       "stream": "ext://sys.stdout"}
    config["loggers"]["qa.access"] = {"handlers": ["json_line"], "level": "INFO", "propagate": False}
    return config
