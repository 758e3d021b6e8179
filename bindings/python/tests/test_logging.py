"""Core log records through the logging module: frame traces at TRACE on
h2o_client.proto.frame, DEBUG events with correlation fields, redaction, level filter."""

from __future__ import annotations

import logging
from typing import Iterator

import pytest

import h2o_client


@pytest.fixture
def logging_on() -> Iterator[None]:
    yield
    h2o_client.disable_logging()


def _messages(caplog: pytest.LogCaptureFixture, logger: str) -> list:
    return [r.getMessage() for r in caplog.records if r.name == logger]


def test_frame_traces_arrive_with_secrets_redacted(
    testserver: str, caplog: pytest.LogCaptureFixture, logging_on: None
) -> None:
    caplog.set_level(h2o_client.TRACE, logger="h2o_client")
    h2o_client.enable_logging(h2o_client.TRACE)
    with h2o_client.Client() as c:
        r = c.get(
            testserver + "/hello",
            headers={"authorization": "Bearer hunter2", "cookie": "sid=topsecret"},
        )
        assert r.status_code == 200
    assert h2o_client.flush_logging()
    frames = _messages(caplog, "h2o_client.proto.frame")
    sent = [m for m in frames if m.startswith("send HEADERS frame <length=")]
    assert sent, frames
    assert ":method: GET" in sent[0]
    assert "authorization: <redacted>" in sent[0]
    assert "cookie: <redacted>" in sent[0]
    assert any(m.startswith("recv DATA frame <length=13, flags=0x01, stream_id=1>") for m in frames), frames
    assert any(m.startswith("recv header block <stream_id=1>") and ":status: 200" in m for m in frames)
    levels = {r.levelno for r in caplog.records if r.name == "h2o_client.proto.frame"}
    assert levels == {h2o_client.TRACE}
    everything = "\n".join(r.getMessage() for r in caplog.records)
    assert "hunter2" not in everything and "topsecret" not in everything
    # DEBUG events carry the request id (correlation) and connection id.
    opened = _messages(caplog, "h2o_client.proto")
    assert any(m.startswith("stream opened") and "request=" in m and "conn=" in m for m in opened), opened
    assert any(m.startswith("connected") for m in _messages(caplog, "h2o_client.transport"))


def test_debug_level_leaves_frames_out(
    testserver: str, caplog: pytest.LogCaptureFixture, logging_on: None
) -> None:
    caplog.set_level(logging.DEBUG, logger="h2o_client")
    h2o_client.enable_logging()  # the h2o_client logger's effective level: DEBUG
    with h2o_client.Client() as c:
        assert c.get(testserver + "/hello").status_code == 200
    assert h2o_client.flush_logging()
    names = {r.name for r in caplog.records if r.name.startswith("h2o_client.")}
    assert "h2o_client.proto" in names
    assert "h2o_client.proto.frame" not in names
    assert all(r.levelno >= logging.DEBUG for r in caplog.records if r.name.startswith("h2o_client."))


def test_disabled_by_default_and_after_disable(
    testserver: str, caplog: pytest.LogCaptureFixture, logging_on: None
) -> None:
    caplog.set_level(h2o_client.TRACE, logger="h2o_client")
    h2o_client.enable_logging(h2o_client.TRACE)
    h2o_client.disable_logging()
    with h2o_client.Client() as c:
        assert c.get(testserver + "/hello").status_code == 200
    assert h2o_client.flush_logging()
    assert [r for r in caplog.records if r.name.startswith("h2o_client.")] == []
