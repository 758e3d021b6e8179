"""Garbage collection, memory, and interpreter shutdown with requests in flight."""

from __future__ import annotations

import asyncio
import gc
import os
import subprocess
import sys
import textwrap
import time

import h2o_client
from conftest import rss_kib, thread_count, wait_for

N_RSS = int(os.environ.get("H2O_PY_RSS_REQUESTS", "20000"))


def test_response_dropped_mid_stream_is_cancelled(testserver: str) -> None:
    with h2o_client.Client() as c:
        r = c.stream("GET", f"{testserver}/bytes/{500 << 20}")
        next(r.iter_bytes())
        del r
        gc.collect()
        assert wait_for(lambda: c.stats()["requests_in_flight"] == 0, 5)
        assert c.stats()["requests_cancelled"] == 1
        assert c.stats()["bytes_received"] < 200 << 20


def test_client_dropped_mid_stream_frees_threads(testserver: str) -> None:
    base = thread_count()
    for _ in range(5):
        c = h2o_client.Client(runtime_threads=2)
        r = c.stream("GET", f"{testserver}/bytes/{500 << 20}")
        next(r.iter_bytes())
        del c, r
        gc.collect()
    assert wait_for(lambda: thread_count() <= base, 5), (thread_count(), base)


def test_async_client_dropped_with_tasks_pending(testserver: str) -> None:
    base = thread_count()

    async def go() -> None:
        c = h2o_client.AsyncClient()
        tasks = [asyncio.ensure_future(c.get(testserver + "/delay/3000")) for _ in range(10)]
        await asyncio.sleep(0.1)
        for t in tasks:
            t.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        c.close()

    asyncio.run(go())
    gc.collect()
    assert wait_for(lambda: thread_count() <= base, 5)


def test_rss_flat_over_many_requests(testserver: str) -> None:
    url = testserver + "/bytes/1000"

    async def batch(c: h2o_client.AsyncClient, n: int) -> None:
        for _ in range(n // 500):
            rs = await asyncio.gather(*(c.get(url) for _ in range(500)))
            assert all(len(r.content) == 1000 for r in rs)

    async def go() -> tuple[int, int]:
        async with h2o_client.AsyncClient() as c:
            await batch(c, 2000)  # warm up: pools, allocator arenas
            gc.collect()
            before = rss_kib()
            await batch(c, N_RSS)
            gc.collect()
            after = rss_kib()
            assert c.stats()["requests_completed"] == 2000 + N_RSS // 500 * 500
            return before, after

    before, after = asyncio.run(go())
    print(f"RSS over {N_RSS} requests: {before} KiB -> {after} KiB ({after - before:+} KiB)")
    assert after - before < 16 * 1024, (before, after)


def test_sync_rss_flat(testserver: str) -> None:
    with h2o_client.Client() as c:
        for _ in range(1000):
            c.get(testserver + "/hello")
        gc.collect()
        before = rss_kib()
        for _ in range(N_RSS // 4):
            c.get(testserver + "/hello")
        gc.collect()
        after = rss_kib()
    assert after - before < 8 * 1024, (before, after)


def _run(code: str, testserver: str) -> subprocess.CompletedProcess:
    t0 = time.monotonic()
    p = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        env={**os.environ, "URL": testserver},
        capture_output=True,
        text=True,
        timeout=30,
    )
    p.elapsed = time.monotonic() - t0  # type: ignore[attr-defined]
    return p


def test_shutdown_with_sync_requests_in_flight(testserver: str) -> None:
    p = _run(
        """
        import os, threading, time, h2o_client
        url = os.environ["URL"]
        c = h2o_client.Client()
        def work():
            try:
                c.get(url + "/delay/10000")
            except h2o_client.Error:
                pass
        for _ in range(8):
            threading.Thread(target=work, daemon=True).start()
        s = c.stream("GET", url + "/bytes/1000000000")
        next(s.iter_bytes())
        time.sleep(0.3)
        print("exiting", flush=True)
        """,
        testserver,
    )
    assert p.returncode == 0, p.stderr
    assert "exiting" in p.stdout and p.elapsed < 15  # type: ignore[attr-defined]


def test_shutdown_with_async_requests_in_flight(testserver: str) -> None:
    p = _run(
        """
        import asyncio, os, h2o_client
        url = os.environ["URL"]
        c = h2o_client.AsyncClient()
        async def main():
            for _ in range(100):
                asyncio.ensure_future(c.get(url + "/delay/10000"))
            await asyncio.sleep(0.3)
        loop = asyncio.new_event_loop()
        loop.run_until_complete(main())
        print("exiting", flush=True)
        """,
        testserver,
    )
    assert p.returncode == 0, p.stderr
    assert "exiting" in p.stdout and p.elapsed < 15  # type: ignore[attr-defined]


def test_shutdown_without_close_no_requests(testserver: str) -> None:
    p = _run(
        """
        import os, h2o_client
        c = h2o_client.Client()
        a = h2o_client.AsyncClient()
        print(c.get(os.environ["URL"] + "/hello").status)
        """,
        testserver,
    )
    assert p.returncode == 0 and p.stdout.strip() == "200", p.stderr


def test_shutdown_with_threads_hammering_the_client(testserver: str) -> None:
    # 50 daemon threads keep sending (and, once the client is closed at exit, keep getting
    # Closed) while the interpreter finalizes: no thread may be inside the native module
    # when CPython ends it. Three runs, since the race differs each time.
    code = """
        import os, threading, time, h2o_client
        url = os.environ["URL"]
        c = h2o_client.Client()
        def work():
            while True:
                try:
                    c.get(url + "/delay/20")
                except h2o_client.Error:
                    pass
        for _ in range(50):
            threading.Thread(target=work, daemon=True).start()
        time.sleep(0.2)
        """
    for _ in range(3):
        p = _run(code, testserver)
        assert p.returncode == 0, p.stderr[-2000:]
        assert p.elapsed < 15  # type: ignore[attr-defined]
