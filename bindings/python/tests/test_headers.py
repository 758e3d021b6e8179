"""The Headers multi-dict and the Response helpers (no server)."""

from __future__ import annotations

import pytest

import h2o_client


def test_headers_case_insensitive_multi() -> None:
    h = h2o_client.Headers([("Set-Cookie", "a=1"), ("set-cookie", "b=2"), ("X-One", "1")])
    assert h["SET-COOKIE"] == "a=1, b=2"
    assert h.get_list("Set-Cookie") == ["a=1", "b=2"]
    assert h.get("x-one") == "1" and h.get("missing") is None and h.get_list("missing") == []
    assert "x-ONE" in h and 3 not in h
    assert list(h) == ["set-cookie", "x-one"] and len(h) == 2
    assert h.multi_items() == [("set-cookie", "a=1"), ("set-cookie", "b=2"), ("x-one", "1")]
    assert h == {"Set-Cookie": "a=1, b=2", "x-one": "1"}
    assert h2o_client.Headers({"A": "b"}) == h2o_client.Headers([("a", "b")])
    with pytest.raises(KeyError):
        h["nope"]


def test_response_helpers() -> None:
    r = h2o_client.Response(200, [("content-type", "text/plain; charset=latin-1")], "é".encode("latin-1"))
    assert r.text() == "é" and r.is_success and r.status_code == 200
    assert r.trailers is None and repr(r) == "<Response [200]>"
    r = h2o_client.Response(201, [], b'{"a": [1, 2]}')
    assert r.json() == {"a": [1, 2]}
    r = h2o_client.Response(503, [], b"", url="http://x/", method="GET")
    with pytest.raises(h2o_client.HTTPStatusError) as ei:
        r.raise_for_status()
    assert ei.value.response is r


def test_import_name_never_touches_h2o() -> None:
    import sys

    # PyPI's unrelated `h2o-client` (H2O.ai) installs a module `h2o`; ours never imports it.
    assert "h2o" not in sys.modules
    assert h2o_client.__name__ == "h2o_client" and h2o_client._native.__name__ == "h2o_client._native"


def test_version() -> None:
    assert h2o_client.__version__.count(".") == 2
    for name in h2o_client.__all__:
        obj = getattr(h2o_client, name)
        if isinstance(obj, int):
            # A constant (the TRACE log level) cannot carry a docstring: the module's does.
            assert name in (h2o_client.__doc__ or ""), name
            continue
        assert obj.__doc__ and "xample" in obj.__doc__, name
        for attr, v in vars(obj).items() if isinstance(obj, type) else []:
            if attr.startswith("_") or not (callable(v) or isinstance(v, property)):
                continue
            doc = v.fget.__doc__ if isinstance(v, property) else v.__doc__
            assert doc and ("xample" in doc or ">>>" in doc), f"{name}.{attr}"
