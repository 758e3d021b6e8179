"""Metrics and the debug dump: exact counts for a known workload, Prometheus text,
in-flight streams listed by the dump (sync and async clients)."""

from __future__ import annotations

import asyncio
import socket
import threading

import pytest

import h2o_client
from conftest import wait_for

N = 12
SIZE = 5000


def _check_exact(m: dict, n: int, size: int) -> None:
    assert m["requests"]["completed"] == n
    assert m["requests"]["submitted"] == n
    assert m["requests"]["failed"] == 0
    assert m["latency_us"]["count"] == n
    assert sum(b[2] for b in m["latency_us"]["buckets"]) == n
    assert 0 < m["latency_us"]["p50"] <= m["latency_us"]["p99"] <= m["latency_us"]["max"]
    assert m["bytes"]["body_received"] == n * size
    assert set(m["errors"].values()) == {0}
    assert "connect" in m["errors"] and len(m["errors"]) == 18
    assert m["pool"]["connections_open"] == 1


def test_sync_metrics_exact(testserver: str) -> None:
    with h2o_client.Client() as c:
        for _ in range(N):
            assert len(c.get(f"{testserver}/bytes/{SIZE}").content) == SIZE
        m = c.metrics()
        _check_exact(m, N, SIZE)
        assert m["hpack"]["sent_encoded"] < m["hpack"]["sent_plain"]
        text = c.metrics_prometheus()
        assert f"\nh2o_requests_total {N}\n" in text
        assert f"h2o_request_duration_seconds_count {N}\n" in text
        assert '# TYPE h2o_request_duration_seconds histogram' in text
    with pytest.raises(h2o_client.Closed):
        c.metrics()


def test_connect_error_counted_once() -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with h2o_client.Client(max_retries=0) as c:
        with pytest.raises(h2o_client.ConnectError):
            c.get(f"http://127.0.0.1:{port}/")
        m = c.metrics()
        assert m["errors"]["connect"] == 1
        assert sum(m["errors"].values()) == 1
        assert m["requests"]["failed"] == 1
        assert m["latency_us"]["count"] == 0


def test_sync_debug_dump_lists_in_flight(testserver: str) -> None:
    with h2o_client.Client() as c:
        c.get(testserver + "/hello")
        results: list = []
        threads = [
            threading.Thread(target=lambda: results.append(c.get(testserver + "/delay/800").status))
            for _ in range(2)
        ]
        for t in threads:
            t.start()
        assert wait_for(lambda: c.stats()["open_streams"] == 2)
        d = c.debug_dump()
        (conn,) = d["connections"]
        assert conn["state"] == "open"
        assert conn["peer_settings_received"] is True
        assert conn["windows"]["send"] > 0 and conn["windows"]["recv"] > 0
        streams = conn["streams"]
        assert len(streams) == 2
        assert {s["state"] for s in streams} == {"half_closed_local"}
        assert all(s["stream_id"] % 2 == 1 and s["age_ms"] >= 0 for s in streams)
        for t in threads:
            t.join()
        assert results == [200, 200]
        assert c.debug_dump()["connections"][0]["streams"] == []


async def test_async_metrics_and_dump(testserver: str) -> None:
    async with h2o_client.AsyncClient() as c:
        rs = await asyncio.gather(*(c.get(f"{testserver}/bytes/{SIZE}") for _ in range(N)))
        assert [len(r.content) for r in rs] == [SIZE] * N
        _check_exact(c.metrics(), N, SIZE)
        task = asyncio.ensure_future(c.get(testserver + "/delay/500"))
        for _ in range(500):
            if c.stats()["open_streams"] == 1:
                break
            await asyncio.sleep(0.01)
        d = c.debug_dump()
        assert [s["state"] for s in d["connections"][0]["streams"]] == ["half_closed_local"]
        assert d["requests_in_flight"] == 1
        assert (await task).status == 200
