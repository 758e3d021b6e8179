"""Settings as keyword arguments."""

from __future__ import annotations

import pytest

import h2o_client


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
