"""Settings as keyword arguments."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

import h2o_client

ROOT = Path(__file__).resolve().parents[3]


def test_defaults_listed() -> None:
    d = h2o_client.default_settings()
    assert d["max_concurrent_streams"] == 100 and d["runtime_threads"] == 1
    assert d["headers_timeout"] is None and d["connect_timeout"] == 10.0
    # every listed setting is accepted with its default value
    h2o_client.Client(**d).close()


def test_all_settings_accepted(testserver: str) -> None:
    with h2o_client.Client(
        runtime_threads=2,
        max_retries=1,
        connect_timeout=2.5,
        settings_timeout=5,
        headers_timeout=5,
        idle_timeout=5,
        request_timeout=10,
        keepalive_interval=None,
        ping_timeout=3,
        initial_window_size=1 << 16,
        connection_window_size=1 << 20,
        max_frame_size=32768,
        adaptive_window=False,
        rfc7540_priorities=True,
        read_buffer_size=2048,
        early_flush_frames=16,
    ) as c:
        assert c.get(testserver + "/bytes/100000").content[:3] == b"\x00\x01\x02"


def test_unknown_key() -> None:
    with pytest.raises(TypeError, match="unexpected keyword argument 'max_stream'"):
        h2o_client.Client(max_stream=1)
    with pytest.raises(TypeError, match="'bogus'"):
        h2o_client.AsyncClient(bogus=True)


def test_wrong_type_names_key() -> None:
    with pytest.raises(TypeError, match="'initial_window_size' must be an int, got str"):
        h2o_client.Client(initial_window_size="big")
    with pytest.raises(TypeError, match="'connect_timeout'"):
        h2o_client.Client(connect_timeout="1s")
    with pytest.raises(TypeError, match="'max_retries'.*bool"):
        h2o_client.Client(max_retries=True)
    with pytest.raises(TypeError, match="'adaptive_window'"):
        h2o_client.Client(adaptive_window="yes")


def test_out_of_range_names_key() -> None:
    with pytest.raises(ValueError, match="'max_retries' is out of range"):
        h2o_client.Client(max_retries=1000)
    with pytest.raises(ValueError, match="'initial_window_size'"):
        h2o_client.Client(initial_window_size=-1)
    with pytest.raises(ValueError, match="'idle_timeout'"):
        h2o_client.Client(idle_timeout=float("nan"))


def test_core_validation_names_key() -> None:
    with pytest.raises(h2o_client.InvalidArgument, match="max_frame_size") as ei:
        h2o_client.Client(max_frame_size=100)
    assert ei.value.kind == 1 and isinstance(ei.value, ValueError)
    with pytest.raises(h2o_client.InvalidArgument, match="runtime_threads"):
        h2o_client.Client(runtime_threads=0)
    with pytest.raises(h2o_client.InvalidArgument, match="connect_timeout"):
        h2o_client.Client(connect_timeout=0)


def test_pool_tls_and_flood_settings(testserver: str) -> None:
    with h2o_client.Client(
        ping_soft_timeout=2,
        max_buffered_per_connection=1 << 20,
        pool_max_connections_per_origin=2,
        pool_max_connections_total=4,
        pool_overflow="open_more",
        pool_idle_timeout=30,
        pool_backoff_base=0.05,
        pool_backoff_max=1,
        pool_breaker_threshold=5,
        pool_check_after_idle=None,
        pool_connection_retry_budget=10,
        pool_retry_idempotent=True,
        tls_use_system_roots=False,
        tls_handshake_timeout=5,
        flood_pings_per_sec=100,
        flood_local_resets_per_sec=1000,
    ) as c:
        assert c.get(testserver + "/hello").content == b"Hello, world!"
    with pytest.raises(ValueError, match="'pool_overflow' must be 'queue' or 'open_more'"):
        h2o_client.Client(pool_overflow="sometimes")
    with pytest.raises(ValueError, match="'tls_pins'"):
        h2o_client.Client(tls_pins=["not base64!"])
    with pytest.raises(h2o_client.InvalidArgument, match="pool.breaker_threshold"):
        h2o_client.Client(pool_breaker_threshold=0)


def test_tls_with_a_custom_ca(tmp_path: Path) -> None:
    certs = tmp_path / "certs"
    subprocess.run([str(ROOT / "tests/servers/gen-certs.sh"), str(certs)], check=True,
                   stdout=subprocess.DEVNULL)
    exe = ROOT / "target" / "debug" / "h2o-testserver"
    if not exe.exists():
        subprocess.run(["cargo", "build", "-p", "h2o-testserver"], cwd=ROOT, check=True)
    proc = subprocess.Popen(
        [str(exe), "--listen", "127.0.0.1:0", "--tls", str(certs / "server.pem"), str(certs / "server.key")],
        stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None
        url = "https://" + proc.stdout.readline().split()[-1] + "/hello"
        with h2o_client.Client(tls_ca_file=str(certs / "ca.pem")) as c:
            assert c.get(url).content == b"Hello, world!"
        with h2o_client.Client(tls_use_system_roots=True) as c:
            with pytest.raises(h2o_client.TLSError, match="unknown CA"):
                c.get(url)
    finally:
        proc.kill()
        proc.wait()


def test_stats_include_the_pool(testserver: str) -> None:
    with h2o_client.Client() as c:
        for _ in range(3):
            c.get(testserver + "/hello")
        s = c.stats()
        assert s["requests_completed"] == 3
        assert s["connections_created"] == 1
        assert s["acquisitions_hit"] == 2 and s["acquisitions_miss"] == 1
        (conn,) = s["connections"]
        assert conn["origin"].startswith("http://127.0.0.1:") and conn["open_streams"] == 0
        assert set(s["connections_closed"]) >= {"goaway", "io", "idle", "evicted"}


def test_default_priority_settings(testserver: str) -> None:
    d = h2o_client.default_settings()
    assert (d["default_urgency"], d["default_incremental"], d["default_weight"]) == (3, False, 16)
    with h2o_client.Client(default_urgency=1, default_incremental=True, default_weight=200) as c:
        assert c.get(testserver + "/hello").content == b"Hello, world!"
    with pytest.raises(h2o_client.InvalidArgument, match="default_urgency.*0..=7"):
        h2o_client.Client(default_urgency=8)
    with pytest.raises(h2o_client.InvalidArgument, match="default_weight"):
        h2o_client.Client(default_weight=0)


def test_every_documented_setting_is_a_keyword_argument() -> None:
    """docs/CONFIG.md (generated from the core's registry) lists each setting's Python name:
    the binding accepts exactly those."""
    documented = set()
    for line in (ROOT / "docs" / "CONFIG.md").read_text().splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split(" | ")]
        if line.startswith("| `") and len(cells) == 9:
            documented.add(cells[6].split("`")[1])
    assert len(documented) > 50
    assert documented == set(h2o_client.default_settings())


def test_from_env_layers_file_then_variables(tmp_path: Path, testserver: str) -> None:
    cfg = tmp_path / "h2o.json"
    # The file alone is invalid (backoff max below base); the variable fixes it.
    cfg.write_text('{"runtime_threads": 2, "pool": {"backoff_base_ms": 5000, "backoff_max_ms": 100}}')
    code = f"""
import os, sys, h2o_client
os.environ["H2O_CONFIG"] = {str(cfg)!r}
try:
    h2o_client.Client(from_env=True)
except h2o_client.InvalidArgument as e:
    print("file error:", e)
os.environ["H2O_POOL_BACKOFF_MAX_MS"] = "9000"   # env overrides the file
with h2o_client.Client(from_env=True, max_retries=0) as c:
    print(c.get({testserver!r} + "/hello").status_code)
os.environ["H2O_MAX_FRAME_SIZ"] = "1"        # a typo is an error naming it
try:
    h2o_client.Client(from_env=True)
except h2o_client.InvalidArgument as e:
    print("typo error:", e)
h2o_client.Client(max_frame_size=20000).close()  # without from_env the environment is not read
print("ok")
"""
    out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True).stdout
    assert "file error:" in out and "pool_backoff_max_ms" in out, out
    assert "\n200\n" in out, out
    assert "typo error:" in out and "H2O_MAX_FRAME_SIZ" in out, out
    assert out.endswith("ok\n"), out
