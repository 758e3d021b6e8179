"""Core log events routed into :mod:`logging`.

The Rust core logs with targets ``h2o::proto`` (SETTINGS, GOAWAY, stream open/close/reset),
``h2o::proto::frame`` (one TRACE record per HTTP/2 frame sent or received, header lists
decoded, credentials and cookies redacted), ``h2o::transport`` (connect, TLS, close) and
``h2o::pool`` (routing, new connections, retries). They arrive on the loggers
``h2o_client.proto``, ``h2o_client.proto.frame``, ``h2o_client.transport`` and
``h2o_client.pool``, at the levels ERROR, WARNING, INFO, DEBUG and :data:`TRACE` (5).

Nothing is forwarded until :func:`enable_logging` is called; its ``level`` (by default
the effective level of the ``h2o_client`` logger) is the most verbose level the core
formats: below it the core costs nothing and Python never takes the GIL for a record.
Records are delivered in order on a background thread (``h2o-log``);
:func:`flush_logging` waits until those logged so far were handled.

Example::

    import logging, h2o_client
    logging.basicConfig(level=logging.DEBUG)
    h2o_client.enable_logging(h2o_client.TRACE)   # frames too
    with h2o_client.Client() as c:
        c.get("http://127.0.0.1:8080/hello")
    h2o_client.flush_logging()
"""

from __future__ import annotations

import atexit
import logging
from typing import Dict, Optional

from . import _native

#: The level of per-frame records (below DEBUG).
TRACE = 5
logging.addLevelName(TRACE, "TRACE")

# Core level numbers (1 = ERROR .. 5 = TRACE) to logging levels.
_TO_PY = {1: logging.ERROR, 2: logging.WARNING, 3: logging.INFO, 4: logging.DEBUG, 5: TRACE}
_loggers: Dict[str, logging.Logger] = {}


def _core_level(py_level: int) -> int:
    """The most verbose core level a logging level lets through (0 = none)."""
    if py_level <= TRACE:
        return 5
    if py_level <= logging.DEBUG:
        return 4
    if py_level <= logging.INFO:
        return 3
    if py_level <= logging.WARNING:
        return 2
    if py_level <= logging.CRITICAL:
        return 1
    return 0


def _logger_for(target: str) -> logging.Logger:
    logger = _loggers.get(target)
    if logger is None:
        name = target[5:] if target.startswith("h2o::") else target
        logger = logging.getLogger("h2o_client." + name.replace("::", "."))
        _loggers[target] = logger
    return logger


def _emit(level: int, target: str, message: str) -> None:
    logger = _logger_for(target)
    py_level = _TO_PY.get(level, logging.DEBUG)
    if logger.isEnabledFor(py_level):
        logger.log(py_level, message)


def enable_logging(level: Optional[int] = None) -> None:
    """Routes the core's log records up to ``level`` (a :mod:`logging` level; default: the
    effective level of the ``h2o_client`` logger) into the ``h2o_client.*`` loggers.
    :data:`TRACE` includes one record per HTTP/2 frame. Calling it again changes the level.

    Example: ``h2o_client.enable_logging(logging.DEBUG)``.
    """
    if level is None:
        level = logging.getLogger("h2o_client").getEffectiveLevel()
    _native._set_log_callback(_emit, _core_level(level))


def disable_logging() -> None:
    """Stops forwarding core log records (the core stops formatting them).

    Example: ``h2o_client.disable_logging()`` once a debugging session is over.
    """
    _native._set_log_callback(None, 0)


def flush_logging(timeout: float = 5.0) -> bool:
    """Waits until every record the core logged so far reached :mod:`logging` (at most
    ``timeout`` seconds). Returns whether it did.

    Example: ``h2o_client.flush_logging()`` before reading captured records in a test.
    """
    return bool(_native._flush_logs(timeout))


@atexit.register
def _stop() -> None:
    # At interpreter exit (after the clients were closed: atexit is LIFO and this module
    # registers first), the delivery thread leaves Python for good before finalization.
    _native._stop_logging()
