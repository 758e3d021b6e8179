"""AsyncClient against the test server."""

from __future__ import annotations

import asyncio
import hashlib
import time

import pytest

import h2o_client
from conftest import pattern_sha256, socket_fds, wait_for


async def test_get(testserver: str) -> None:
    async with h2o_client.AsyncClient() as c:
        r = await c.get(testserver + "/hello")
        assert r.status == 200 and r.content == b"Hello, world!"
        r = await c.post(testserver + "/sha256", content=b"abc")
        assert r.json()["sha256"] == hashlib.sha256(b"abc").hexdigest()
        r = await c.get(testserver + "/trailers")
        assert r.trailers is not None and r.trailers["x-trailer"] == "done"


async def test_1000_concurrent_one_connection(testserver: str) -> None:
    async with h2o_client.AsyncClient() as c:
        await c.get(testserver + "/hello")  # connection up
        before = socket_fds()
        rs = await asyncio.gather(*(c.get(f"{testserver}/bytes/{i % 50}") for i in range(1000)))
        assert [len(r.content) for r in rs] == [i % 50 for i in range(1000)]
        assert socket_fds() == before  # multiplexed: no new connection
        s = c.stats()
        assert s["requests_completed"] == 1001
        assert s["loop_wakeups"] < 1001  # completions are batched per wake-up


async def test_stream_100mib(testserver: str) -> None:
    n = 100 << 20
    h = hashlib.sha256()
    async with h2o_client.AsyncClient() as c:
        async with c.stream("GET", f"{testserver}/bytes/{n}") as r:
            assert r.status == 200
            async for chunk in r.aiter_bytes():
                h.update(chunk)
    assert h.hexdigest() == pattern_sha256(n)


async def test_async_upload(testserver: str) -> None:
    async def gen():
        for i in range(50):
            yield bytes([i]) * 100000
            await asyncio.sleep(0)

    expect = b"".join(bytes([i]) * 100000 for i in range(50))
    async with h2o_client.AsyncClient() as c:
        r = await c.post(testserver + "/sha256", content=gen())
        assert r.json()["sha256"] == hashlib.sha256(expect).hexdigest()
        async with c.stream("POST", testserver + "/echo", content=gen()) as s:
            data = await s.aread()
        assert data == expect
        assert s.trailers is not None and s.trailers["x-received-bytes"] == str(len(expect))
        # A sync iterable bigger than the send buffer: waits off the loop.
        r = await c.post(testserver + "/echo", content=[b"q" * (1 << 20)] * 8)
        assert len(r.content) == 8 << 20


async def test_cancel_awaiting_task_cancels_request(testserver: str) -> None:
    async with h2o_client.AsyncClient() as c:
        task = asyncio.ensure_future(c.get(testserver + "/delay/5000"))
        await asyncio.sleep(0.2)
        t0 = time.monotonic()
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        assert time.monotonic() - t0 < 0.5
        assert wait_for(lambda: c.stats()["requests_cancelled"] == 1, 3)
        # the connection is still fine
        assert (await c.get(testserver + "/hello")).status == 200


async def test_wait_for_timeout_cancels(testserver: str) -> None:
    async with h2o_client.AsyncClient() as c:
        with pytest.raises(asyncio.TimeoutError):
            await asyncio.wait_for(c.get(testserver + "/delay/5000"), 0.2)
        assert wait_for(lambda: c.stats()["requests_in_flight"] == 0, 3)


async def test_break_out_of_stream_cancels(testserver: str) -> None:
    async with h2o_client.AsyncClient() as c:
        async with c.stream("GET", f"{testserver}/bytes/{200 << 20}") as r:
            async for chunk in r.aiter_bytes():
                assert chunk
                break
        assert wait_for(lambda: c.stats()["requests_cancelled"] == 1, 3)
        assert c.stats()["bytes_received"] < 100 << 20


async def test_cancel_stream_reader_task(testserver: str) -> None:
    async with h2o_client.AsyncClient() as c:
        got = 0

        async def reader() -> None:
            nonlocal got
            async with c.stream("GET", testserver + "/delay/3000") as r:
                async for chunk in r.aiter_bytes():
                    got += len(chunk)

        t = asyncio.ensure_future(reader())
        await asyncio.sleep(0.1)
        t.cancel()
        with pytest.raises(asyncio.CancelledError):
            await t
        assert wait_for(lambda: c.stats()["requests_in_flight"] == 0, 3)


async def test_async_errors(testserver: str) -> None:
    async with h2o_client.AsyncClient() as c:
        with pytest.raises(h2o_client.ConnectError):
            await c.get("http://127.0.0.1:1/")
        with pytest.raises(h2o_client.RequestTimeout):
            await c.get(testserver + "/delay/3000", timeout=0.1)
        with pytest.raises(h2o_client.InvalidURL):
            await c.get("nope")


def test_one_client_two_loops_in_turn(testserver: str) -> None:
    # An AsyncClient serves one event loop at a time; it re-binds to the next one.
    c = h2o_client.AsyncClient()

    async def go() -> int:
        return (await c.get(testserver + "/hello")).status

    assert asyncio.run(go()) == 200
    assert asyncio.run(go()) == 200
    c.close()


async def test_loop_never_blocked(testserver: str) -> None:
    # A ticker keeps running while 2000 requests and a 50 MiB stream go through the client.
    gaps: list[float] = []
    stop = False

    async def ticker() -> None:
        last = time.monotonic()
        while not stop:
            await asyncio.sleep(0.005)
            now = time.monotonic()
            gaps.append(now - last)
            last = now

    t = asyncio.ensure_future(ticker())
    async with h2o_client.AsyncClient() as c:
        await asyncio.gather(*(c.get(testserver + "/hello") for _ in range(2000)))
        async with c.stream("GET", f"{testserver}/bytes/{50 << 20}") as r:
            async for _ in r.aiter_bytes():
                pass
        await asyncio.gather(*(c.get(testserver + "/delay/200") for _ in range(100)))
    stop = True
    await t
    assert gaps and max(gaps) < 1.0, max(gaps)
