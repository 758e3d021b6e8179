"""Against nginx (h2c) serving the shared docroot (tests/servers)."""

from __future__ import annotations

import asyncio
import hashlib

import h2o_client
from conftest import pattern_sha256


def test_small_files(nginx: str) -> None:
    with h2o_client.Client() as c:
        r = c.get(nginx + "/13b")
        assert r.status == 200 and r.content == b"Hello, world!"
        assert r.headers["server"].startswith("nginx")
        r = c.get(nginx + "/0b")
        assert r.status == 200 and r.content == b""
        assert c.get(nginx + "/missing").status == 404


def test_1m(nginx: str) -> None:
    with h2o_client.Client() as c:
        r = c.get(nginx + "/1m")
        assert len(r.content) == 1 << 20
        assert hashlib.sha256(r.content).hexdigest() == pattern_sha256(1 << 20)


def test_100m_streamed(nginx: str) -> None:
    h = hashlib.sha256()
    n = 0
    with h2o_client.Client() as c:
        with c.stream("GET", nginx + "/100m") as r:
            for chunk in r.iter_bytes():
                h.update(chunk)
                n += len(chunk)
    assert n == 100 << 20 and h.hexdigest() == pattern_sha256(100 << 20)


async def test_100m_async_whole(nginx: str) -> None:
    async with h2o_client.AsyncClient() as c:
        r = await c.get(nginx + "/100m")
    assert len(r.content) == 100 << 20
    assert hashlib.sha256(r.content).hexdigest() == pattern_sha256(100 << 20)


async def test_1000_concurrent(nginx: str) -> None:
    async with h2o_client.AsyncClient() as c:
        rs = await asyncio.gather(*(c.get(nginx + "/13b") for _ in range(1000)))
    assert all(r.content == b"Hello, world!" for r in rs)
