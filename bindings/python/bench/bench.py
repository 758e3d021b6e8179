"""h2o_client vs httpx (HTTP/2) on the same machine, in the same run.

Starts nghttpd in h2c mode (tests/servers/serve.sh, its own process group) serving the
13-byte /13b, then sends the same N GETs with 100 in flight through:

- h2o_client.AsyncClient (100 tasks sharing one client),
- httpx.AsyncClient(http1=False, http2=True) (100 tasks, prior-knowledge h2c),
- h2o_client.Client from one thread (sequential: latency-bound),
- h2o_client.Client shared by a pool of 100 threads,

and prints req/s and CPU time per request (resource.getrusage: this process, every thread,
the libraries' own threads included), with ratios against httpx.

    python bench/bench.py [--n 20000] [--concurrency 100] [--url URL] [--json out.json]

`--runner h2o-async|httpx --url URL` runs one client only (after a warm-up of N/10
requests, untimed) and prints one JSON line shaped like `h2o bench`'s (requests, seconds,
req_per_s, bytes, errors, cpu_us_per_req, peak_rss_kib): bench/run.sh part `python` runs
the two in alternation, each in a process of its own.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import resource
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, Callable, Dict, Iterator, List, Optional

import h2o_client

ROOT = Path(__file__).resolve().parents[3]


def cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Nghttpd:
    def __init__(self) -> None:
        assets = Path(os.environ.get("H2O_TEST_ASSETS", Path(tempfile.gettempdir()) / "h2o-test-assets"))
        www = assets / "www"
        subprocess.run([str(ROOT / "tests/servers/make-docroot.sh"), str(www)], check=True)
        self.work = Path(tempfile.mkdtemp(prefix="h2o-py-bench-"))
        os.chmod(self.work, 0o755)
        (self.work / "www").symlink_to(www)
        self.port = free_port()
        self.proc = subprocess.Popen(
            [str(ROOT / "tests/servers/serve.sh"), "nghttpd", "h2c", str(self.port), str(self.work)],
            start_new_session=True,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 30
        while True:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.5).close()
                break
            except OSError:
                if time.monotonic() > deadline or self.proc.poll() is not None:
                    raise RuntimeError("nghttpd did not start")
                time.sleep(0.05)
        self.url = f"http://127.0.0.1:{self.port}/13b"

    def stop(self) -> None:
        try:
            os.killpg(self.proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        self.proc.wait()
        shutil.rmtree(self.work, ignore_errors=True)


def measure(name: str, n: int, run: Callable[[], None]) -> Dict[str, Any]:
    c0, t0 = cpu(), time.perf_counter()
    run()
    wall, used = time.perf_counter() - t0, cpu() - c0
    r = {"name": name, "n": n, "seconds": wall, "req_per_s": n / wall, "cpu_us_per_req": used / n * 1e6}
    print(f"  {name:<40} {r['req_per_s']:>10.0f} req/s  {r['cpu_us_per_req']:>8.1f} µs CPU/req", flush=True)
    return r


async def workers(n: int, conc: int, one: Callable[[], Any]) -> None:
    left = n

    async def worker() -> None:
        nonlocal left
        while left > 0:
            left -= 1
            await one()

    await asyncio.gather(*(worker() for _ in range(conc)))


def bench_h2o_async(url: str, n: int, conc: int) -> None:
    async def main() -> None:
        async with h2o_client.AsyncClient() as c:
            await c.get(url)

            async def one() -> None:
                r = await c.get(url)
                assert r.status == 200 and len(r.content) == 13

            await workers(n, conc, one)

    asyncio.run(main())


def bench_httpx(url: str, n: int, conc: int) -> None:
    import httpx

    async def main() -> None:
        limits = httpx.Limits(max_connections=1, max_keepalive_connections=1)
        async with httpx.AsyncClient(http1=False, http2=True, limits=limits) as c:
            r = await c.get(url)
            assert r.http_version == "HTTP/2"

            async def one() -> None:
                r = await c.get(url)
                assert r.status_code == 200 and len(r.content) == 13

            await workers(n, conc, one)

    asyncio.run(main())


def bench_h2o_sync(url: str, n: int) -> None:
    with h2o_client.Client() as c:
        for _ in range(n):
            r = c.get(url)
            assert r.status == 200


def bench_h2o_threads(url: str, n: int, conc: int) -> None:
    with h2o_client.Client() as c:
        c.get(url)
        per = n // conc

        def work(_: int) -> None:
            for _ in range(per):
                r = c.get(url)
                assert r.status == 200

        with ThreadPoolExecutor(conc) as ex:
            list(ex.map(work, range(conc)))


def runner(name: str, url: str, n: int, conc: int) -> None:
    """One client in this process: warm-up, then N timed requests; one JSON line."""
    got = [0]

    async def h2o_main() -> None:
        async with h2o_client.AsyncClient() as c:

            async def one() -> None:
                r = await c.get(url)
                if r.status != 200:
                    raise RuntimeError(f"status {r.status}")
                got[0] += len(r.content)

            await workers(max(1, n // 10), conc, one)
            got[0] = 0
            timed[0] = (cpu(), time.perf_counter())
            await workers(n, conc, one)
            timed[1] = (cpu(), time.perf_counter())

    async def httpx_main() -> None:
        import httpx

        limits = httpx.Limits(max_connections=1, max_keepalive_connections=1)
        async with httpx.AsyncClient(http1=False, http2=True, limits=limits) as c:

            async def one() -> None:
                r = await c.get(url)
                if r.status_code != 200 or r.http_version != "HTTP/2":
                    raise RuntimeError(f"status {r.status_code} {r.http_version}")
                got[0] += len(r.content)

            await workers(max(1, n // 10), conc, one)
            got[0] = 0
            timed[0] = (cpu(), time.perf_counter())
            await workers(n, conc, one)
            timed[1] = (cpu(), time.perf_counter())

    timed = [(0.0, 0.0), (0.0, 0.0)]
    asyncio.run({"h2o-async": h2o_main, "httpx": httpx_main}[name]())
    used, wall = timed[1][0] - timed[0][0], timed[1][1] - timed[0][1]
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(json.dumps({"client": name, "requests": n, "seconds": wall, "req_per_s": n / wall, "bytes": got[0],
                      "errors": 0, "cpu_us_per_req": used / n * 1e6, "peak_rss_kib": rss}), flush=True)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--n", type=int, default=20000)
    ap.add_argument("--concurrency", type=int, default=100)
    ap.add_argument("--url", help="use this server instead of starting nghttpd")
    ap.add_argument("--json", help="write the results here")
    ap.add_argument("--runner", choices=["h2o-async", "httpx"], help="run one client against --url, print JSON")
    args = ap.parse_args()
    if args.runner:
        if not args.url:
            ap.error("--runner needs --url")
        runner(args.runner, args.url, args.n, args.concurrency)
        return
    n, conc = args.n, args.concurrency
    server: Optional[Nghttpd] = None
    url = args.url
    if url is None:
        server = Nghttpd()
        url = server.url
    try:
        print(f"{n} GETs of 13 bytes, {conc} in flight, {url} (Python {sys.version.split()[0]}, "
              f"h2o_client {h2o_client.__version__})")
        rs: List[Dict[str, Any]] = []
        rs.append(measure("httpx AsyncClient (http2)", n, lambda: bench_httpx(url, n, conc)))
        rs.append(measure("h2o_client AsyncClient", n, lambda: bench_h2o_async(url, n, conc)))
        rs.append(measure("h2o_client Client, 1 thread (sequential)", n, lambda: bench_h2o_sync(url, n)))
        rs.append(measure(f"h2o_client Client, {conc} threads", n // conc * conc,
                          lambda: bench_h2o_threads(url, n, conc)))
    finally:
        if server is not None:
            server.stop()
    base = rs[0]
    print()
    print("| client | req/s | CPU µs/req | req/s vs httpx | CPU/req vs httpx |")
    print("|---|---:|---:|---:|---:|")
    for r in rs:
        print(f"| {r['name']} | {r['req_per_s']:.0f} | {r['cpu_us_per_req']:.1f} | "
              f"{r['req_per_s'] / base['req_per_s']:.1f}× | {r['cpu_us_per_req'] / base['cpu_us_per_req']:.3f}× |")
    if args.json:
        Path(args.json).write_text(json.dumps(rs, indent=2))


if __name__ == "__main__":
    main()
