"""h2o_client: an HTTP/2 client with a Rust core (h2o-core).

Sync::

    import h2o_client
    with h2o_client.Client() as client:
        resp = client.get("http://127.0.0.1:8080/hello")
        print(resp.status, resp.headers["content-length"], resp.content)

Async::

    async with h2o_client.AsyncClient() as client:
        resp = await client.get("http://127.0.0.1:8080/hello")
        async with client.stream("GET", "http://127.0.0.1:8080/bytes/1000000") as r:
            async for chunk in r.aiter_bytes():
                ...

URLs are ``http://`` (HTTP/2 with prior knowledge, h2c) or ``https://`` (TLS, ALPN h2).
Every failure raises a subclass of :class:`Error`. The distribution is called
``h2o-client`` but the import name is ``h2o_client``; it never installs or touches a
module called ``h2o``.

Logging: ``h2o_client.enable_logging(level)`` routes the core's events to the ``logging``
loggers ``h2o_client.<target>``; ``TRACE`` (5, below ``logging.DEBUG``) adds a line per HTTP/2
frame, e.g. ``h2o_client.enable_logging(h2o_client.TRACE)``.
"""

from __future__ import annotations

import asyncio
import atexit
import builtins
import json as _json
import threading
import time
import weakref
from typing import (
    Any,
    AsyncIterable,
    AsyncIterator,
    Dict,
    Iterable,
    Iterator,
    List,
    Mapping,
    Optional,
    Sequence,
    Tuple,
    Union,
)

from . import _native
from ._log import TRACE, disable_logging, enable_logging, flush_logging

__version__: str = _native.__version__

__all__ = [
    "AsyncClient",
    "Cancelled",
    "Client",
    "Closed",
    "ConnectError",
    "ConnectTimeout",
    "Error",
    "GoAway",
    "Headers",
    "HeadersTimeout",
    "IdleTimeout",
    "InvalidArgument",
    "InvalidURL",
    "IoError",
    "LimitExceeded",
    "PingTimeout",
    "ProtocolError",
    "Refused",
    "RequestTimeout",
    "Response",
    "SettingsTimeout",
    "StreamReset",
    "TLSError",
    "TLSHandshakeTimeout",
    "TimeoutError",
    "TRACE",
    "default_settings",
    "disable_logging",
    "enable_logging",
    "flush_logging",
]

# ---------------------------------------------------------------------------------------
# Exceptions


class Error(Exception):
    """Base class of every h2o_client error.

    Attributes: ``kind`` (the core's stable error number), ``kind_name`` (e.g.
    ``"stream_reset"``), ``message``, ``code`` (the RFC 9113 error code for protocol
    errors, resets and GOAWAY, else ``None``), ``remote`` (the server reported it) and
    ``unprocessed`` (the server provably did not process the request: safe to retry).

    Example::

        try:
            client.get("http://127.0.0.1:1/")
        except h2o_client.Error as e:
            print(e.kind, e.kind_name, e.unprocessed)
    """

    KIND: int = 0

    # No __init__: instances are made by the native module as
    # cls(message, kind, kind_name, code, unprocessed, remote) without running Python code;
    # the attributes read ``args`` (``Error("message")`` works too).

    @property
    def message(self) -> str:
        """The detail message. Example: ``print(e.message)``."""
        return str(self.args[0]) if self.args else ""

    @property
    def kind(self) -> int:
        """The core's stable error number (1..19). Example: ``e.kind == 3``."""
        a = self.args
        return int(a[1]) if len(a) > 1 else self.KIND

    @property
    def kind_name(self) -> str:
        """Short name of the kind. Example: ``e.kind_name == "stream_reset"``."""
        a = self.args
        return str(a[2]) if len(a) > 2 else _KIND_NAMES.get(self.kind, "")

    @property
    def code(self) -> Optional[int]:
        """RFC 9113 error code (resets, GOAWAY, protocol errors) or ``None``. Example: ``e.code == 8``."""
        a = self.args
        return None if len(a) <= 3 or a[3] is None else int(a[3])

    @property
    def unprocessed(self) -> bool:
        """The server provably did not process the request. Example: ``if e.unprocessed: retry()``."""
        a = self.args
        return bool(a[4]) if len(a) > 4 else False

    @property
    def remote(self) -> bool:
        """The server reported the error (RST_STREAM, GOAWAY). Example: ``e.remote``."""
        a = self.args
        return bool(a[5]) if len(a) > 5 else False

    def __str__(self) -> str:
        return self.message

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.message!r})"


class InvalidArgument(Error, ValueError):
    """A bad argument or setting (header, method, configuration value).

    Example: ``h2o_client.Client(max_frame_size=1)`` raises it.
    """

    KIND = 1


class InvalidURL(Error, ValueError):
    """The URL could not be parsed or its scheme is not http/https.

    Example: ``client.get("ftp://x/")`` raises it.
    """

    KIND = 2


class ConnectError(Error):
    """DNS resolution or the TCP connect failed.

    Example: ``client.get("http://127.0.0.1:1/")`` (nothing listens) raises it.
    """

    KIND = 3


class TLSError(Error):
    """The TLS handshake or certificate verification failed.

    Example: an ``https://`` URL whose certificate is not trusted.
    """

    KIND = 4


class TimeoutError(Error, builtins.TimeoutError):
    """Base of every deadline error (also a builtin ``TimeoutError``).

    Example::

        try:
            client.get(url, timeout=0.1)
        except h2o_client.TimeoutError:
            ...
    """


class ConnectTimeout(TimeoutError):
    """The TCP connect (DNS included) did not finish within ``connect_timeout``.

    Example: ``Client(connect_timeout=0.5)`` against an unreachable address.
    """

    KIND = 5


class HeadersTimeout(TimeoutError):
    """The response head did not arrive within ``headers_timeout``.

    Example: ``Client(headers_timeout=0.1).get(".../delay/1000")``.
    """

    KIND = 6


class IdleTimeout(TimeoutError):
    """Nothing arrived for ``idle_timeout`` between body chunks.

    Example: ``Client(idle_timeout=1.0)`` and a server that stalls mid-body.
    """

    KIND = 7


class RequestTimeout(TimeoutError):
    """The whole request took longer than ``timeout`` / ``request_timeout``.

    Example: ``client.get(".../delay/1000", timeout=0.1)``.
    """

    KIND = 8


class ProtocolError(Error):
    """An HTTP/2 protocol violation; ``code`` holds the RFC 9113 error code.

    Example: ``except h2o_client.ProtocolError as e: print(e.code, e.remote)``.
    """

    KIND = 9


class StreamReset(Error):
    """The server reset the stream (RST_STREAM); ``code`` holds its error code.

    Example: ``except h2o_client.StreamReset as e: print(e.code)``.
    """

    KIND = 10


class GoAway(Error):
    """The server sent GOAWAY and the request could not be retried.

    Example: ``except h2o_client.GoAway as e: retry = e.unprocessed``.
    """

    KIND = 11


class Refused(Error):
    """The server refused the stream (REFUSED_STREAM) and the retries ran out.

    Example: ``except h2o_client.Refused: ...`` (always ``unprocessed``).
    """

    KIND = 12


class Cancelled(Error):
    """The request was cancelled (``Response.close``, client closed).

    Example: a request in flight when ``client.close()`` is called raises it.
    """

    KIND = 13


class LimitExceeded(Error):
    """A configured limit was exceeded (pending queue, header list size).

    Example: ``Client(max_pending_requests=...)`` overflowing.
    """

    KIND = 14


class Closed(Error):
    """The client or the connection was closed.

    Example: ``client.close(); client.get(url)`` raises it.
    """

    KIND = 15


class IoError(Error):
    """An I/O error on an established connection (e.g. the server went away).

    Example: ``except h2o_client.IoError: ...``.
    """

    KIND = 16


class SettingsTimeout(TimeoutError):
    """The server did not acknowledge our SETTINGS within ``settings_timeout``.

    Example: ``Client(settings_timeout=1.0)`` against a server that never answers.
    """

    KIND = 17


class PingTimeout(TimeoutError):
    """A keep-alive PING went unanswered within ``ping_timeout``: the connection is dead.

    Example: ``Client(keepalive_interval=5, ping_timeout=2)``.
    """

    KIND = 18


class TLSHandshakeTimeout(TimeoutError):
    """The TLS handshake did not finish within ``tls_handshake_timeout`` (the TCP connect
    succeeded; the server never completed the handshake).

    Example: ``Client(tls_handshake_timeout=2.0)`` against a server that accepts and stays silent.
    """

    KIND = 19


_KIND_NAMES: Dict[int, str] = dict(_native.error_kinds())
_BY_KIND: Dict[int, type] = {
    c.KIND: c
    for c in (
        InvalidArgument,
        InvalidURL,
        ConnectError,
        TLSError,
        ConnectTimeout,
        HeadersTimeout,
        IdleTimeout,
        RequestTimeout,
        ProtocolError,
        StreamReset,
        GoAway,
        Refused,
        Cancelled,
        LimitExceeded,
        Closed,
        IoError,
        SettingsTimeout,
        PingTimeout,
        TLSHandshakeTimeout,
    )
}


_native._set_error_classes(_BY_KIND, Error)


def default_settings() -> Dict[str, Any]:
    """Every keyword argument ``Client``/``AsyncClient`` accept, with its default.

    Durations are in seconds (``None``: no deadline). Example::

        >>> h2o_client.default_settings()["max_concurrent_streams"]
        100
    """
    return _native.default_settings()


# ---------------------------------------------------------------------------------------
# Headers

HeaderTypes = Union["Headers", Mapping[str, str], Sequence[Tuple[str, str]], None]


class Headers(Mapping[str, str]):
    """Case-insensitive multi-dict of header fields, in arrival order.

    ``h[name]`` joins repeated fields with ``", "``; ``get_list`` returns them apart.

    Example::

        >>> h = h2o_client.Headers([("Set-Cookie", "a=1"), ("set-cookie", "b=2")])
        >>> h["SET-COOKIE"], h.get_list("set-cookie")
        ('a=1, b=2', ['a=1', 'b=2'])
    """

    __slots__ = ("_items", "_index")

    def __init__(self, items: HeaderTypes = None) -> None:
        self._index: Optional[Dict[str, List[str]]] = None
        if items is None:
            self._items: List[Tuple[str, str]] = []
        elif isinstance(items, Headers):
            self._items = list(items._items)
        elif isinstance(items, Mapping):
            self._items = [(str(k).lower(), str(v)) for k, v in items.items()]
        else:
            self._items = [(str(k).lower(), str(v)) for k, v in items]

    @classmethod
    def _raw(cls, items: List[Tuple[str, str]]) -> "Headers":
        h = cls.__new__(cls)
        h._items = items
        h._index = None
        return h

    def _idx(self) -> Dict[str, List[str]]:
        idx = self._index
        if idx is None:
            idx = {}
            for k, v in self._items:
                idx.setdefault(k, []).append(v)
            self._index = idx
        return idx

    def __getitem__(self, name: str) -> str:
        return ", ".join(self._idx()[name.lower()])

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and name.lower() in self._idx()

    def __iter__(self) -> Iterator[str]:
        return iter(self._idx())

    def __len__(self) -> int:
        return len(self._idx())

    def get_list(self, name: str) -> List[str]:
        """Every value of ``name``, in order (``[]`` if absent).

        Example: ``resp.headers.get_list("set-cookie")``.
        """
        return list(self._idx().get(name.lower(), []))

    def multi_items(self) -> List[Tuple[str, str]]:
        """All ``(name, value)`` pairs, repeated names included, in order.

        Example: ``for name, value in resp.headers.multi_items(): ...``.
        """
        return list(self._items)

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Headers):
            return self._items == other._items
        if isinstance(other, Mapping):
            return dict(self.items()) == {str(k).lower(): v for k, v in other.items()}
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"Headers({self._items!r})"


def _header_list(headers: HeaderTypes) -> Optional[List[Tuple[str, str]]]:
    if headers is None:
        return None
    if isinstance(headers, Headers):
        return headers._items
    items = headers.items() if isinstance(headers, Mapping) else headers
    out = []
    for k, v in items:
        if isinstance(k, bytes):
            k = k.decode("latin-1")
        if isinstance(v, bytes):
            v = v.decode("latin-1")
        out.append((k, str(v)))
    return out


Content = Union[bytes, bytearray, memoryview, str, Iterable[bytes], AsyncIterable[bytes], None]


def _body(content: Content) -> Tuple[Optional[bytes], Any]:
    """(whole body, or None) and the iterable to stream (or None)."""
    if content is None:
        return None, None
    if isinstance(content, bytes):
        return content, None
    if isinstance(content, (bytearray, memoryview)):
        return bytes(content), None
    if isinstance(content, str):
        return content.encode("utf-8"), None
    if hasattr(content, "__iter__") or hasattr(content, "__aiter__"):
        return None, content
    raise TypeError(f"content must be bytes, str or an iterable of bytes, not {type(content).__name__}")


def _as_bytes(chunk: Any) -> bytes:
    if isinstance(chunk, bytes):
        return chunk
    if isinstance(chunk, (bytearray, memoryview)):
        return bytes(chunk)
    if isinstance(chunk, str):
        return chunk.encode("utf-8")
    raise TypeError(f"content chunks must be bytes, not {type(chunk).__name__}")


def _upload_sync(req: Any, content: Iterable[Any]) -> None:
    """Sends a streamed body from the calling thread (blocking, GIL released)."""
    try:
        for chunk in content:
            b = _as_bytes(chunk)
            if b:
                req.send_chunk(b)
    except Error:
        # The request ended early (server error, reset): its own error is the one to raise.
        if not req.is_done():
            raise
    except BaseException:
        req.cancel()
        raise
    finally:
        req.finish_body()


# ---------------------------------------------------------------------------------------
# Response


class Response:
    """An HTTP response: ``status``, ``headers``, body and ``trailers``.

    From ``client.get``/``client.request`` the body is already read (``content``); from
    ``client.stream`` it is read with ``iter_bytes``/``aiter_bytes`` (or ``read``/``aread``).

    Example::

        resp = client.get("http://127.0.0.1:8080/hello")
        assert resp.status == 200 and resp.text() == "Hello, world!"
    """

    __slots__ = ("status", "_raw_headers", "_headers", "_content", "_req", "_trailers", "_client", "url", "method")

    status: int
    url: str
    method: str

    def __init__(
        self,
        status: int,
        headers: List[Tuple[str, str]],
        content: Optional[bytes] = None,
        trailers: Optional[List[Tuple[str, str]]] = None,
        *,
        url: str = "",
        method: str = "GET",
    ) -> None:
        self.status = status
        self._raw_headers = headers
        self._headers: Optional[Headers] = None
        self._content = content
        self._trailers = trailers
        self._req: Any = None
        self._client: Any = None
        self.url = url
        self.method = method

    @property
    def status_code(self) -> int:
        """Alias of ``status`` (httpx/requests spelling). Example: ``resp.status_code == 200``."""
        return self.status

    @property
    def http_version(self) -> str:
        """Always ``"HTTP/2"``. Example: ``resp.http_version``."""
        return "HTTP/2"

    @property
    def headers(self) -> Headers:
        """The response header fields. Example: ``resp.headers["content-type"]``."""
        h = self._headers
        if h is None:
            h = self._headers = Headers._raw(self._raw_headers)
        return h

    @property
    def trailers(self) -> Optional[Headers]:
        """Trailer fields once the body was read to its end (``None`` if there were none).

        Example: ``client.post(url + "/echo", content=b"x").trailers["x-received-bytes"]``.
        """
        if self._trailers is None and self._req is not None:
            t = self._req.trailers()
            if t is not None:
                self._trailers = t
        return None if self._trailers is None else Headers._raw(self._trailers)

    @property
    def is_success(self) -> bool:
        """``200 <= status < 300``. Example: ``if resp.is_success: ...``."""
        return 200 <= self.status < 300

    @property
    def is_stream_consumed(self) -> bool:
        """Whether the whole body has been read. Example: ``resp.is_stream_consumed``."""
        return self._content is not None or (self._req is None)

    @property
    def content(self) -> bytes:
        """The whole body. For a sync ``stream`` response it reads the rest first; for an
        async one call ``await resp.aread()`` first.

        Example: ``hashlib.sha256(resp.content).hexdigest()``.
        """
        if self._content is None:
            if self._client is not None and getattr(self._client, "_is_async", False):
                raise RuntimeError("streamed async response not read: use `await resp.aread()` first")
            return self.read()
        return self._content

    def text(self, encoding: Optional[str] = None) -> str:
        """The body decoded with ``encoding``, else the content-type charset, else UTF-8.

        Example: ``client.get(url).text()``.
        """
        if encoding is None:
            encoding = "utf-8"
            ct = self.headers.get("content-type", "")
            for part in ct.split(";")[1:]:
                k, _, v = part.strip().partition("=")
                if k.lower() == "charset" and v:
                    encoding = v.strip('"')
        return self.content.decode(encoding, errors="replace")

    def json(self, **kwargs: Any) -> Any:
        """The body parsed as JSON. Example: ``client.post(url + "/sha256", content=b"x").json()["len"]``."""
        return _json.loads(self.content, **kwargs)

    def raise_for_status(self) -> "Response":
        """Raises ``HTTPStatusError`` for a 4xx/5xx status, else returns the response.

        Example: ``client.get(url).raise_for_status()``.
        """
        if self.status >= 400:
            raise HTTPStatusError(f"{self.method} {self.url}: status {self.status}", response=self)
        return self

    def read(self) -> bytes:
        """Reads the rest of a sync streamed body and returns the whole body.

        Example: ``with client.stream("GET", url) as r: data = r.read()``.
        """
        if self._content is None:
            self._content = b"".join(self.iter_bytes())
        return self._content

    def iter_bytes(self) -> Iterator[bytes]:
        """The body chunk by chunk as the server sends it (sync; blocks with the GIL released).

        Flow-control credit goes back to the server as chunks are taken, so a slow
        reader slows the server down. Example::

            with client.stream("GET", url) as r:
                for chunk in r.iter_bytes():
                    f.write(chunk)
        """
        if self._content is not None:
            if self._content:
                yield self._content
            return
        req = self._req
        if req is None:
            raise RuntimeError("the response is closed")
        while True:
            c = req.wait_chunk()
            if not c:
                break
            yield c
        self._finish()

    async def aread(self) -> bytes:
        """Reads the rest of an async streamed body. Example: ``data = await r.aread()``."""
        if self._content is None:
            chunks = [c async for c in self.aiter_bytes()]
            self._content = b"".join(chunks)
        return self._content

    async def aiter_bytes(self) -> AsyncIterator[bytes]:
        """The body chunk by chunk (asyncio). Cancelling the task cancels the stream.

        Example::

            async with client.stream("GET", url) as r:
                async for chunk in r.aiter_bytes():
                    total += len(chunk)
        """
        if self._content is not None:
            if self._content:
                yield self._content
            return
        req = self._req
        client = self._client
        if req is None or client is None:
            raise RuntimeError("the response is closed")
        loop = asyncio.get_running_loop()
        while True:
            c = req.poll_chunk()
            if c is None:
                await client._wait(loop, req)
                continue
            if not c:
                break
            yield c
        self._finish()

    def _finish(self) -> None:
        req = self._req
        if req is not None:
            t = req.trailers()
            if t is not None:
                self._trailers = t
            self._req = None
        if self._content is None:
            self._content = b""

    def close(self) -> None:
        """Cancels the rest of a streamed body (RST_STREAM) and frees it. Idempotent.

        Example: ``r.close()`` after reading only the first chunk.
        """
        req = self._req
        if req is not None:
            self._req = None
            if not req.is_done():
                req.cancel()

    async def aclose(self) -> None:
        """Async spelling of ``close``. Example: ``await r.aclose()``."""
        self.close()

    def __enter__(self) -> "Response":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    async def __aenter__(self) -> "Response":
        return self

    async def __aexit__(self, *exc: Any) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"<Response [{self.status}]>"


class HTTPStatusError(Error):
    """Raised by ``Response.raise_for_status`` for 4xx and 5xx responses (not by requests).

    Example: ``except h2o_client.HTTPStatusError as e: e.response.status``.
    """

    response: Response

    def __init__(self, message: str, *, response: Response) -> None:
        super().__init__(message)
        self.response = response


__all__.append("HTTPStatusError")


# ---------------------------------------------------------------------------------------
# Clients

_live_clients: "weakref.WeakSet[Any]" = weakref.WeakSet()


@atexit.register
def _close_all() -> None:
    # At interpreter exit, end every request still in flight (they raise Cancelled in the
    # threads waiting for them) and stop the clients' runtime threads. Then give those
    # threads the GIL (sleeping) until none is still inside a native wait: a thread that
    # takes the GIL back after finalization began is ended by CPython with pthread_exit,
    # which must not happen inside the native module.
    for c in list(_live_clients):
        try:
            c.close()
        except Exception:
            pass
    deadline = time.monotonic() + 2.0
    while _native.threads_waiting() > 0 and time.monotonic() < deadline:
        time.sleep(0.002)


class _BaseClient:
    _native: _native.NativeClient

    def stats(self) -> Dict[str, Any]:
        """Counters of this client, kept by the binding (the core has no stats API yet):
        ``requests_submitted``, ``requests_completed``, ``requests_failed``,
        ``requests_cancelled``, ``requests_in_flight``, ``bytes_sent``, ``bytes_received``,
        ``loop_wakeups`` (asyncio) and ``closed``.

        Example: ``client.stats()["requests_completed"]``.
        """
        return self._native.stats()

    def metrics(self) -> Dict[str, Any]:
        """A metrics snapshot of the core as a dict (the same shape in every front end):
        ``requests`` (submitted, completed, failed, retried, in_flight,
        completed_per_second), ``latency_us`` (count, sum, mean, p50, p90, p99, p999, max,
        ``buckets`` as ``[low, high, count]``), ``errors`` (count per error kind name),
        ``bytes`` (body and wire, both directions, per-second rates), ``flow_control``
        (stalls, stalled_seconds), ``hpack`` (encoded vs. plain header bytes and ratios),
        ``read_buffer`` (reuse hits and misses), ``pool`` (connections, streams, queued,
        acquisitions, close reasons) and ``uptime_seconds``. Latencies are of completed
        requests, submit to end of response. Raises ``Closed`` after ``close``.

        Example: ``client.metrics()["latency_us"]["p99"]``.
        """
        result: Dict[str, Any] = _json.loads(self._native.metrics_json())
        return result

    def metrics_prometheus(self) -> str:
        """The metrics in the Prometheus text exposition format, for a ``/metrics``
        endpoint. Example: ``print(client.metrics_prometheus())``.
        """
        return self._native.metrics_prometheus()

    def debug_dump(self) -> Dict[str, Any]:
        """A debug dump of every connection, parsed from the core's JSON: ``state``,
        ``local_settings``/``peer_settings``, connection ``windows``, open ``streams``
        (stream and request id, state, windows, ``age_ms``) and ``queued`` requests.
        Waits up to 0.5 s for the connection tasks (a connection that does not answer is
        listed as ``"unresponsive"``). Raises ``Closed`` after ``close``.

        Example: ``[s["stream_id"] for c in client.debug_dump()["connections"] for s in c["streams"]]``.
        """
        result: Dict[str, Any] = _json.loads(self._native.debug_dump())
        return result

    @property
    def is_closed(self) -> bool:
        """Whether ``close`` was called. Example: ``assert client.is_closed``."""
        return self._native.is_closed()


class Client(_BaseClient):
    """A blocking HTTP/2 client. Thread-safe: many threads can share one client (their
    requests multiplex over the same connections); the GIL is released while waiting.

    Keyword arguments are settings (see ``default_settings()``), validated at once:
    unknown names raise ``TypeError``, bad values ``TypeError``/``ValueError``/
    ``InvalidArgument`` naming the setting. Durations are seconds.
    ``from_env=True`` layers the JSON file named by ``H2O_CONFIG`` and then the
    ``H2O_<SETTING>`` environment variables over these settings (docs/CONFIG.md); without
    it the environment is not read.

    Example::

        with h2o_client.Client(max_retries=1, request_timeout=10) as client:
            r = client.get("http://127.0.0.1:8080/hello")
            r2 = client.post("http://127.0.0.1:8080/echo", content=b"ping")
    """

    def __init__(self, *, from_env: bool = False, **config: Any) -> None:
        self._native = _native.NativeClient(config, False, from_env)
        _live_clients.add(self)

    def request(
        self,
        method: str,
        url: str,
        *,
        headers: HeaderTypes = None,
        content: Content = None,
        timeout: Optional[float] = None,
    ) -> Response:
        """Sends a request and reads the whole response.

        ``content``: bytes/str (sent with content-length) or an iterable of bytes
        (streamed). ``timeout``: whole-request deadline in seconds (``RequestTimeout``).

        Example: ``client.request("PUT", url, headers={"x-a": "1"}, content=b"data")``.
        """
        body, stream = _body(content)
        req = self._native.submit(method, url, _header_list(headers), body, stream is not None, False, timeout)
        if stream is not None:
            if hasattr(stream, "__aiter__") and not hasattr(stream, "__iter__"):
                req.cancel()
                raise TypeError("an async iterable body needs AsyncClient")
            _upload_sync(req, stream)
        status, hdrs, data, trailers = req.wait_response()
        return Response(status, hdrs, data, trailers, url=url, method=method)

    def get(self, url: str, *, headers: HeaderTypes = None, timeout: Optional[float] = None) -> Response:
        """GET ``url``. Example: ``client.get("http://127.0.0.1:8080/hello").content``."""
        return self.request("GET", url, headers=headers, timeout=timeout)

    def head(self, url: str, *, headers: HeaderTypes = None, timeout: Optional[float] = None) -> Response:
        """HEAD ``url``. Example: ``client.head(url).headers["content-length"]``."""
        return self.request("HEAD", url, headers=headers, timeout=timeout)

    def delete(self, url: str, *, headers: HeaderTypes = None, timeout: Optional[float] = None) -> Response:
        """DELETE ``url``. Example: ``client.delete(url).status``."""
        return self.request("DELETE", url, headers=headers, timeout=timeout)

    def post(
        self, url: str, *, headers: HeaderTypes = None, content: Content = None, timeout: Optional[float] = None
    ) -> Response:
        """POST ``content`` to ``url``. Example: ``client.post(url, content=b"x").json()``."""
        return self.request("POST", url, headers=headers, content=content, timeout=timeout)

    def put(
        self, url: str, *, headers: HeaderTypes = None, content: Content = None, timeout: Optional[float] = None
    ) -> Response:
        """PUT ``content`` to ``url``. Example: ``client.put(url, content=b"x").status``."""
        return self.request("PUT", url, headers=headers, content=content, timeout=timeout)

    def stream(
        self,
        method: str,
        url: str,
        *,
        headers: HeaderTypes = None,
        content: Content = None,
        timeout: Optional[float] = None,
    ) -> Response:
        """Sends a request and returns as soon as the response head arrived; read the body
        with ``iter_bytes``. Use it as a context manager: leaving it early cancels the rest.
        A streamed ``content`` iterable is sent from a helper thread meanwhile.

        Example::

            with client.stream("GET", "http://127.0.0.1:8080/bytes/100000000") as r:
                n = sum(len(c) for c in r.iter_bytes())
        """
        body, stream = _body(content)
        req = self._native.submit(method, url, _header_list(headers), body, stream is not None, True, timeout)
        if stream is not None:
            threading.Thread(target=_upload_sync, args=(req, stream), daemon=True).start()
        try:
            status, hdrs = req.wait_head()
        except BaseException:
            req.cancel()
            raise
        resp = Response(status, hdrs, None, None, url=url, method=method)
        resp._req = req
        resp._client = self
        return resp

    def close(self) -> None:
        """Closes the client: GOAWAY to every server, in-flight requests raise ``Cancelled``.
        Idempotent; also done by ``with`` and at interpreter exit.

        Example: ``client.close()``.
        """
        self._native.close()

    def __enter__(self) -> "Client":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()


class AsyncClient(_BaseClient):
    """An asyncio HTTP/2 client. Requests from any number of tasks multiplex over shared
    connections (``asyncio.gather`` of 1000 GETs uses one connection). Results reach the
    event loop through one socket it watches (``loop.add_reader``): the loop is never
    blocked, and many completions cost a single wake-up. Cancelling an awaiting task
    cancels its request (RST_STREAM).

    Settings as for ``Client``. Example::

        async with h2o_client.AsyncClient() as client:
            rs = await asyncio.gather(*(client.get(url) for _ in range(1000)))
    """

    _is_async = True

    def __init__(self, *, from_env: bool = False, **config: Any) -> None:
        self._native = _native.NativeClient(config, True, from_env)
        self._fd: int = self._native.fileno()
        self._waiters: Dict[int, "asyncio.Future[None]"] = {}
        self._loop: Optional[asyncio.AbstractEventLoop] = None
        _live_clients.add(self)

    def _bind(self) -> asyncio.AbstractEventLoop:
        loop = asyncio.get_running_loop()
        if loop is not self._loop:
            old = self._loop
            if old is not None and not old.is_closed():
                try:
                    old.remove_reader(self._fd)
                except Exception:
                    pass
            loop.add_reader(self._fd, self._on_ready)
            self._loop = loop
        return loop

    def _on_ready(self) -> None:
        waiters = self._waiters
        for token in self._native.drain():
            fut = waiters.pop(token, None)
            if fut is not None and not fut.done():
                fut.set_result(None)

    async def _wait(self, loop: asyncio.AbstractEventLoop, req: Any) -> None:
        fut = loop.create_future()
        token = req.token
        self._waiters[token] = fut
        try:
            await fut
        except BaseException:
            self._waiters.pop(token, None)
            req.cancel()
            raise

    async def _send(self, loop: asyncio.AbstractEventLoop, req: Any, chunk: bytes) -> None:
        if not req.try_send_chunk(chunk):
            await loop.run_in_executor(None, req.send_chunk, chunk)

    async def _upload(self, loop: asyncio.AbstractEventLoop, req: Any, content: Any) -> None:
        try:
            if hasattr(content, "__aiter__"):
                async for chunk in content:
                    b = _as_bytes(chunk)
                    if b:
                        await self._send(loop, req, b)
            else:
                for chunk in content:
                    b = _as_bytes(chunk)
                    if b:
                        await self._send(loop, req, b)
        except Error:
            if not req.is_done():
                raise
        except BaseException:
            req.cancel()
            raise
        finally:
            req.finish_body()

    async def request(
        self,
        method: str,
        url: str,
        *,
        headers: HeaderTypes = None,
        content: Content = None,
        timeout: Optional[float] = None,
    ) -> Response:
        """Sends a request and reads the whole response (see ``Client.request``);
        ``content`` may also be an async iterable of bytes.

        Example: ``r = await client.request("POST", url, content=b"x")``.
        """
        loop = asyncio.get_running_loop()
        if loop is not self._loop:
            self._bind()
        if content is None:
            req = self._native.submit(method, url, _header_list(headers), None, False, False, timeout)
        else:
            body, stream = _body(content)
            req = self._native.submit(method, url, _header_list(headers), body, stream is not None, False, timeout)
            if stream is not None:
                await self._upload(loop, req, stream)
        if not req.is_done():
            # Hot path of `_wait`, inlined: one future, woken by `_on_ready`.
            fut = loop.create_future()
            token = req.token
            waiters = self._waiters
            waiters[token] = fut
            try:
                await fut
            except BaseException:
                waiters.pop(token, None)
                req.cancel()
                raise
            while not req.is_done():  # a spurious wake-up
                await self._wait(loop, req)
        status, hdrs, data, trailers = req.take_response()
        return Response(status, hdrs, data, trailers, url=url, method=method)

    async def get(self, url: str, *, headers: HeaderTypes = None, timeout: Optional[float] = None) -> Response:
        """GET ``url``. Example: ``(await client.get(url)).status``."""
        return await self.request("GET", url, headers=headers, timeout=timeout)

    async def head(self, url: str, *, headers: HeaderTypes = None, timeout: Optional[float] = None) -> Response:
        """HEAD ``url``. Example: ``(await client.head(url)).headers``."""
        return await self.request("HEAD", url, headers=headers, timeout=timeout)

    async def delete(self, url: str, *, headers: HeaderTypes = None, timeout: Optional[float] = None) -> Response:
        """DELETE ``url``. Example: ``await client.delete(url)``."""
        return await self.request("DELETE", url, headers=headers, timeout=timeout)

    async def post(
        self, url: str, *, headers: HeaderTypes = None, content: Content = None, timeout: Optional[float] = None
    ) -> Response:
        """POST ``content``. Example: ``(await client.post(url, content=b"x")).json()``."""
        return await self.request("POST", url, headers=headers, content=content, timeout=timeout)

    async def put(
        self, url: str, *, headers: HeaderTypes = None, content: Content = None, timeout: Optional[float] = None
    ) -> Response:
        """PUT ``content``. Example: ``await client.put(url, content=b"x")``."""
        return await self.request("PUT", url, headers=headers, content=content, timeout=timeout)

    def stream(
        self,
        method: str,
        url: str,
        *,
        headers: HeaderTypes = None,
        content: Content = None,
        timeout: Optional[float] = None,
    ) -> "_AsyncStream":
        """``async with client.stream(...) as resp``: the response once its head arrived;
        read the body with ``resp.aiter_bytes()``. Leaving the block early (or cancelling
        the task) cancels the request. A streamed ``content`` is sent by a helper task.

        Example::

            async with client.stream("GET", url) as r:
                async for chunk in r.aiter_bytes():
                    h.update(chunk)
        """
        return _AsyncStream(self, method, url, headers, content, timeout)

    async def aclose(self) -> None:
        """Closes the client (see ``Client.close``), waiting off the event loop.

        Example: ``await client.aclose()``.
        """
        loop = self._loop
        if loop is not None and not loop.is_closed():
            try:
                loop.remove_reader(self._fd)
            except Exception:
                pass
        self._loop = None
        await asyncio.get_running_loop().run_in_executor(None, self._native.close)
        for fut in self._waiters.values():
            if not fut.done():
                fut.set_result(None)
        self._waiters.clear()

    def close(self) -> None:
        """Closes the client from sync code (blocks until its threads stopped).

        Example: ``client.close()``.
        """
        loop = self._loop
        if loop is not None and not loop.is_closed():
            try:
                loop.remove_reader(self._fd)
            except Exception:
                pass
        self._loop = None
        self._native.close()

    async def __aenter__(self) -> "AsyncClient":
        return self

    async def __aexit__(self, *exc: Any) -> None:
        await self.aclose()


class _AsyncStream:
    """The context manager ``AsyncClient.stream`` returns."""

    def __init__(
        self, client: AsyncClient, method: str, url: str, headers: HeaderTypes, content: Content, timeout: Optional[float]
    ) -> None:
        self._client = client
        self._args = (method, url, headers, content, timeout)
        self._resp: Optional[Response] = None
        self._upload: Optional["asyncio.Task[None]"] = None

    async def __aenter__(self) -> Response:
        client = self._client
        method, url, headers, content, timeout = self._args
        loop = client._bind()
        body, stream = _body(content)
        req = client._native.submit(method, url, _header_list(headers), body, stream is not None, True, timeout)
        try:
            if stream is not None:
                self._upload = loop.create_task(client._upload(loop, req, stream))
            while True:
                head = req.poll_head()
                if head is not None:
                    break
                await client._wait(loop, req)
        except BaseException:
            req.cancel()
            if self._upload is not None:
                self._upload.cancel()
            raise
        resp = Response(head[0], head[1], None, None, url=url, method=method)
        resp._req = req
        resp._client = client
        self._resp = resp
        return resp

    async def __aexit__(self, *exc: Any) -> None:
        if self._resp is not None:
            self._resp.close()
        up = self._upload
        if up is not None:
            if not up.done():
                up.cancel()
            try:
                await up
            except BaseException:
                pass
