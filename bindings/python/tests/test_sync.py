"""Sync Client against the test server."""

from __future__ import annotations

import hashlib
import threading

import h2o_client
from conftest import pattern_sha256, wait_for


def test_get_hello(testserver: str) -> None:
    with h2o_client.Client() as c:
        r = c.get(testserver + "/hello")
        assert r.status == 200 and r.status_code == 200 and r.is_success
        assert r.content == b"Hello, world!"
        assert r.text() == "Hello, world!"
        assert r.headers["Content-Length"] == "13"
        assert "CONTENT-LENGTH" in r.headers
        assert r.http_version == "HTTP/2"
        assert list(r.iter_bytes()) == [b"Hello, world!"]


def test_status_and_headers(testserver: str) -> None:
    with h2o_client.Client() as c:
        assert c.get(testserver + "/status/404").status == 404
        r = c.get(testserver + "/status/204")
        assert r.status == 204 and r.content == b""
        r = c.get(testserver + "/headers/4000")
        names = [k for k, _ in r.headers.multi_items() if k.startswith("x-h-")]
        assert len(names) >= 3 and sum(len(k) + len(v) for k, v in r.headers.multi_items() if k.startswith("x-h-")) >= 3900
        try:
            c.get(testserver + "/status/500").raise_for_status()
            raise AssertionError("no exception")
        except h2o_client.HTTPStatusError as e:
            assert e.response.status == 500


def test_request_headers_and_methods(testserver: str) -> None:
    with h2o_client.Client() as c:
        r = c.request("PUT", testserver + "/echo", headers={"X-Test": "1", "accept": "*/*"}, content=b"abc")
        assert r.content == b"abc"
        r = c.request("PATCH", testserver + "/echo", headers=[("x-a", "1"), ("x-a", "2")], content="é")
        assert r.content == "é".encode()
        assert c.head(testserver + "/hello").content == b""


def test_post_json(testserver: str) -> None:
    body = b"x" * 12345
    with h2o_client.Client() as c:
        r = c.post(testserver + "/sha256", content=body)
        assert r.json() == {"len": len(body), "sha256": hashlib.sha256(body).hexdigest()}


def test_trailers(testserver: str) -> None:
    with h2o_client.Client() as c:
        r = c.get(testserver + "/trailers")
        assert r.content == b"hello"
        assert r.trailers is not None and r.trailers["x-trailer"] == "done"
        assert r.trailers["grpc-status"] == "0"
        assert c.get(testserver + "/hello").trailers is None


def test_1mib_down_and_up(testserver: str) -> None:
    n = 1 << 20
    with h2o_client.Client() as c:
        r = c.get(f"{testserver}/bytes/{n}")
        assert len(r.content) == n
        assert hashlib.sha256(r.content).hexdigest() == pattern_sha256(n)
        r = c.post(testserver + "/echo", content=r.content)
        assert hashlib.sha256(r.content).hexdigest() == pattern_sha256(n)
        assert r.trailers is not None and r.trailers["x-received-bytes"] == str(n)


def test_streaming_upload_iterable(testserver: str) -> None:
    chunks = [bytes([i]) * 10000 for i in range(100)]
    with h2o_client.Client() as c:
        r = c.post(testserver + "/sha256", content=iter(chunks))
        assert r.json()["sha256"] == hashlib.sha256(b"".join(chunks)).hexdigest()
        r = c.post(testserver + "/echo", content=(bytearray(c) for c in chunks))
        assert r.content == b"".join(chunks)


def test_stream_download_100mib(testserver: str) -> None:
    n = 100 << 20
    h = hashlib.sha256()
    got = 0
    with h2o_client.Client() as c:
        with c.stream("GET", f"{testserver}/bytes/{n}") as r:
            assert r.status == 200 and r.headers["content-length"] == str(n)
            for chunk in r.iter_bytes():
                h.update(chunk)
                got += len(chunk)
    assert got == n and h.hexdigest() == pattern_sha256(n)


def test_stream_upload_100mib(testserver: str) -> None:
    n = 100 << 20
    block = bytes(i % 251 for i in range(251)) * 4096  # the same pattern, in ~1 MiB chunks

    def body():
        left = n
        while left:
            k = min(left, len(block))
            yield block[:k]
            left -= k

    with h2o_client.Client() as c:
        r = c.post(testserver + "/sha256", content=body())
        assert r.json() == {"len": n, "sha256": pattern_sha256(n)}


def test_stream_echo_both_ways(testserver: str) -> None:
    # Upload (helper thread) and download (this thread) at once: 20 MiB through /echo.
    chunk = b"z" * (1 << 20)
    with h2o_client.Client() as c:
        with c.stream("POST", testserver + "/echo", content=(chunk for _ in range(20))) as r:
            total = sum(len(x) for x in r.iter_bytes())
        assert total == 20 << 20
        assert r.trailers is not None and r.trailers["x-received-bytes"] == str(20 << 20)


def test_slow_reader_holds_server(testserver: str) -> None:
    # Flow control reaches Python: without reading, at most about one window arrives.
    with h2o_client.Client(adaptive_window=False, initial_window_size=65535) as c:
        with c.stream("GET", f"{testserver}/bytes/{50 << 20}") as r:
            it = r.iter_bytes()
            next(it)
            import time

            time.sleep(0.3)
            assert c.stats()["bytes_received"] < 256 << 10
        assert wait_for(lambda: c.stats()["requests_in_flight"] == 0)
        assert c.stats()["requests_cancelled"] == 1


def test_threads_share_client(testserver: str) -> None:
    errors: list[BaseException] = []
    with h2o_client.Client() as c:

        def work() -> None:
            try:
                for i in range(200):
                    r = c.get(f"{testserver}/bytes/{i}")
                    assert len(r.content) == i
            except BaseException as e:  # pragma: no cover
                errors.append(e)

        ts = [threading.Thread(target=work) for _ in range(8)]
        for t in ts:
            t.start()
        for t in ts:
            t.join()
        assert not errors
        s = c.stats()
        assert s["requests_completed"] == 1600 and s["requests_failed"] == 0


def test_stats(testserver: str) -> None:
    c = h2o_client.Client()
    c.get(testserver + "/hello")
    c.post(testserver + "/echo", content=b"12345")
    s = c.stats()
    assert s["requests_submitted"] == 2 and s["requests_completed"] == 2
    assert s["bytes_sent"] == 5 and s["bytes_received"] == 18
    assert s["requests_in_flight"] == 0 and not s["closed"]
    c.close()
    assert c.is_closed and c.stats()["closed"]
    c.close()  # idempotent
