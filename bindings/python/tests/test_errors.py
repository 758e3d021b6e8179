"""Every exception kind that can be provoked from here, and the exception API."""

from __future__ import annotations

import socket
import threading
import time

import pytest

import h2o_client
from conftest import BadServer


def test_hierarchy_and_kinds() -> None:
    kinds = {
        h2o_client.InvalidArgument: 1,
        h2o_client.InvalidURL: 2,
        h2o_client.ConnectError: 3,
        h2o_client.TLSError: 4,
        h2o_client.ConnectTimeout: 5,
        h2o_client.HeadersTimeout: 6,
        h2o_client.IdleTimeout: 7,
        h2o_client.RequestTimeout: 8,
        h2o_client.ProtocolError: 9,
        h2o_client.StreamReset: 10,
        h2o_client.GoAway: 11,
        h2o_client.Refused: 12,
        h2o_client.Cancelled: 13,
        h2o_client.LimitExceeded: 14,
        h2o_client.Closed: 15,
        h2o_client.IoError: 16,
        h2o_client.SettingsTimeout: 17,
        h2o_client.PingTimeout: 18,
    }
    for cls, kind in kinds.items():
        assert issubclass(cls, h2o_client.Error)
        assert cls.KIND == kind
        e = cls("m")
        assert e.kind == kind and e.message == "m" and e.kind_name
    for cls in (h2o_client.ConnectTimeout, h2o_client.HeadersTimeout, h2o_client.IdleTimeout,
                h2o_client.RequestTimeout, h2o_client.SettingsTimeout, h2o_client.PingTimeout):
        assert issubclass(cls, h2o_client.TimeoutError) and issubclass(cls, TimeoutError)
    assert issubclass(h2o_client.InvalidArgument, ValueError)
    assert issubclass(h2o_client.InvalidURL, ValueError)


@pytest.mark.parametrize("url", ["ftp://x/", "nope", "http://", "http://[::1/", "http://h:99999/"])
def test_invalid_url(url: str) -> None:
    with h2o_client.Client() as c:
        with pytest.raises(h2o_client.InvalidURL) as ei:
            c.get(url)
        assert ei.value.kind == 2 and ei.value.kind_name == "invalid_url"
        assert c.stats()["requests_submitted"] == 0


def test_invalid_argument(testserver: str) -> None:
    with h2o_client.Client() as c:
        with pytest.raises(h2o_client.InvalidArgument) as ei:
            c.get(testserver + "/hello", headers={"bad name": "x"})
        assert ei.value.unprocessed
        with pytest.raises(h2o_client.InvalidArgument):
            c.request("BAD METHOD", testserver + "/hello")
        with pytest.raises(h2o_client.InvalidArgument):
            c.get(testserver + "/hello", timeout=-1)


def test_connect_refused() -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with h2o_client.Client(max_retries=0) as c:
        with pytest.raises(h2o_client.ConnectError) as ei:
            c.get(f"http://127.0.0.1:{port}/")
        assert ei.value.kind == 3 and ei.value.unprocessed
        assert "refused" in str(ei.value).lower()


def test_tls_to_cleartext_server(testserver: str) -> None:
    # https:// to a server speaking cleartext HTTP/2: the handshake fails with TLSError (kind 4).
    with h2o_client.Client() as c:
        with pytest.raises(h2o_client.TLSError):
            c.get(testserver.replace("http://", "https://") + "/hello")


def test_tls_handshake_timeout() -> None:
    # Accepts TCP, never answers the ClientHello: the handshake deadline, not connect's.
    lst = socket.socket()
    lst.bind(("127.0.0.1", 0))
    lst.listen(8)
    port = lst.getsockname()[1]
    try:
        with h2o_client.Client(tls_handshake_timeout=0.3, max_retries=0) as c:
            t0 = time.monotonic()
            with pytest.raises(h2o_client.TLSHandshakeTimeout) as ei:
                c.get(f"https://127.0.0.1:{port}/", timeout=5)
            assert 0.3 <= time.monotonic() - t0 < 3
            assert ei.value.kind == 19
            assert isinstance(ei.value, h2o_client.TimeoutError)
            assert "TLS handshake timed out" in str(ei.value)
    finally:
        lst.close()


def test_connect_timeout() -> None:
    # A listener whose accept backlog is full: the SYN is dropped and connect hangs.
    lst = socket.socket()
    lst.bind(("127.0.0.1", 0))
    lst.listen(0)
    port = lst.getsockname()[1]
    fillers = []
    for _ in range(4):
        s = socket.socket()
        s.setblocking(False)
        s.connect_ex(("127.0.0.1", port))
        fillers.append(s)
    time.sleep(0.1)
    try:
        with h2o_client.Client(connect_timeout=0.3, settings_timeout=0.3, max_retries=0) as c:
            t0 = time.monotonic()
            with pytest.raises((h2o_client.ConnectTimeout, h2o_client.SettingsTimeout)) as ei:
                c.get(f"http://127.0.0.1:{port}/", timeout=5)
            assert time.monotonic() - t0 < 3
            assert isinstance(ei.value, h2o_client.TimeoutError)
    finally:
        for s in fillers:
            s.close()
        lst.close()


def test_settings_timeout(silent_server: BadServer) -> None:
    with h2o_client.Client(settings_timeout=0.3, max_retries=0) as c:
        with pytest.raises(h2o_client.TimeoutError) as ei:
            c.get(silent_server.url + "/", timeout=5)
        assert isinstance(ei.value, (h2o_client.SettingsTimeout, h2o_client.HeadersTimeout))


def test_request_and_headers_timeout(testserver: str) -> None:
    with h2o_client.Client() as c:
        with pytest.raises(h2o_client.RequestTimeout) as ei:
            c.get(testserver + "/delay/2000", timeout=0.1)
        assert isinstance(ei.value, TimeoutError)
    with h2o_client.Client(headers_timeout=0.1) as c:
        with pytest.raises(h2o_client.HeadersTimeout):
            c.get(testserver + "/delay/2000")
        assert c.get(testserver + "/hello").status == 200


def test_idle_timeout(bad_server: BadServer) -> None:
    with h2o_client.Client(idle_timeout=0.2) as c:
        with pytest.raises(h2o_client.IdleTimeout):
            c.get(bad_server.url + "/stall")
        with c.stream("GET", bad_server.url + "/stall") as r:
            assert r.status == 200
            with pytest.raises(h2o_client.IdleTimeout):
                r.read()


def test_ping_timeout(bad_server: BadServer) -> None:
    with h2o_client.Client(keepalive_interval=0.2, ping_timeout=0.3, max_retries=0) as c:
        with c.stream("GET", bad_server.url + "/freeze") as r:
            with pytest.raises(h2o_client.PingTimeout) as ei:
                r.read()
        assert ei.value.kind == 18 and isinstance(ei.value, TimeoutError)


def test_stream_reset(bad_server: BadServer) -> None:
    with h2o_client.Client() as c:
        with pytest.raises(h2o_client.StreamReset) as ei:
            c.get(bad_server.url + "/reset")
        assert ei.value.code == 2 and ei.value.remote  # INTERNAL_ERROR
        assert c.get(bad_server.url + "/ok").content == b"ok"


def test_refused(bad_server: BadServer) -> None:
    with h2o_client.Client(max_retries=1) as c:
        with pytest.raises(h2o_client.Refused) as ei:
            c.get(bad_server.url + "/refuse")
        assert ei.value.unprocessed and ei.value.code == 7


def test_goaway(bad_server: BadServer) -> None:
    with h2o_client.Client(max_retries=0) as c:
        with pytest.raises(h2o_client.Error) as ei:
            c.get(bad_server.url + "/goaway")
        print(repr(ei.value))
        assert isinstance(ei.value, h2o_client.GoAway), repr(ei.value)
        assert ei.value.kind == 11 and ei.value.unprocessed and ei.value.remote


def test_protocol_error(bad_server: BadServer) -> None:
    with h2o_client.Client(max_retries=0) as c:
        with pytest.raises(h2o_client.ProtocolError) as ei:
            c.get(bad_server.url + "/garbage")
        assert ei.value.code == 1 and not ei.value.remote  # PROTOCOL_ERROR, found by us


def test_connection_lost(bad_server: BadServer) -> None:
    with h2o_client.Client(max_retries=0) as c:
        with c.stream("GET", bad_server.url + "/close") as r:
            with pytest.raises(h2o_client.Error) as ei:
                r.read()
        assert isinstance(ei.value, h2o_client.IoError), repr(ei.value)


def test_limit_exceeded(testserver: str) -> None:
    with h2o_client.Client(max_header_list_size=1024) as c:
        with pytest.raises(h2o_client.LimitExceeded) as ei:
            c.get(testserver + "/headers/20000")
        assert "max_header_list_size" in str(ei.value)


def test_closed_and_cancelled(testserver: str) -> None:
    c = h2o_client.Client()
    errors: list[BaseException] = []

    def waiter() -> None:
        try:
            c.get(testserver + "/delay/5000")
        except BaseException as e:
            errors.append(e)

    t = threading.Thread(target=waiter)
    t.start()
    time.sleep(0.2)
    t0 = time.monotonic()
    c.close()
    t.join(5)
    assert time.monotonic() - t0 < 4
    assert len(errors) == 1 and isinstance(errors[0], h2o_client.Cancelled), errors
    with pytest.raises(h2o_client.Closed) as ei:
        c.get(testserver + "/hello")
    assert ei.value.kind == 15


def test_error_str() -> None:
    with h2o_client.Client() as c:
        with pytest.raises(h2o_client.InvalidURL) as ei:
            c.get("ftp://x/")
    assert "ftp" in str(ei.value) and "ftp" in ei.value.message
    assert ei.value.code is None and ei.value.remote is False
