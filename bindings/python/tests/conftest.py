"""Fixtures: the project's test server (target/debug/h2o-testserver), nginx in h2c mode
(tests/servers/serve.sh, own process group) and a small misbehaving HTTP/2 server written
with the `h2` package (resets, GOAWAY, stalls, garbage frames)."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time
from pathlib import Path
from typing import Callable, Iterator

import pytest

ROOT = Path(__file__).resolve().parents[3]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait_port(port: int, proc: subprocess.Popen, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited with {proc.returncode}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"port {port} not listening after {timeout}s")


@pytest.fixture(scope="session")
def testserver() -> Iterator[str]:
    """Base URL of a running h2o-testserver."""
    exe = Path(os.environ.get("H2O_TESTSERVER", ROOT / "target" / "debug" / "h2o-testserver"))
    if not exe.exists():
        subprocess.run(["cargo", "build", "-p", "h2o-testserver"], cwd=ROOT, check=True)
    proc = subprocess.Popen([str(exe), "--listen", "127.0.0.1:0"], stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None
    line = proc.stdout.readline().strip()
    assert line.startswith("listening on "), line
    try:
        yield "http://" + line.split()[-1]
    finally:
        proc.kill()
        proc.wait()


def _assets() -> Path:
    return Path(os.environ.get("H2O_TEST_ASSETS", Path(tempfile.gettempdir()) / "h2o-test-assets"))


@pytest.fixture(scope="session")
def nginx() -> Iterator[str]:
    """Base URL of nginx in h2c mode serving 0b, 13b, 1m, 100m (tests/servers)."""
    if shutil.which("nginx") is None and not Path("/usr/sbin/nginx").exists():
        pytest.skip("nginx not installed (make deps)")
    www = _assets() / "www"
    subprocess.run([str(ROOT / "tests/servers/make-docroot.sh"), str(www)], check=True)
    work = Path(tempfile.mkdtemp(prefix="h2o-py-nginx-"))
    os.chmod(work, 0o755)
    (work / "www").symlink_to(www)
    port = _free_port()
    proc = subprocess.Popen(
        [str(ROOT / "tests/servers/serve.sh"), "nginx", "h2c", str(port), str(work)],
        start_new_session=True,
        stdout=subprocess.DEVNULL,
    )
    try:
        _wait_port(port, proc)
        yield f"http://127.0.0.1:{port}"
    finally:
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        proc.wait()
        shutil.rmtree(work, ignore_errors=True)


class BadServer:
    """HTTP/2 server (h2c prior knowledge) whose behaviour is chosen by the request path:
    /reset (RST_STREAM INTERNAL_ERROR), /refuse (RST_STREAM REFUSED_STREAM), /goaway (GOAWAY
    last-stream-id 0: not processed, then close), /stall (head, then silence), /close (head, then TCP
    close), /freeze (head, then deaf and mute), /garbage (a DATA frame on stream 0), anything else 200 "ok". Connections that
    send nothing get nothing: with `silent=True` it never answers at all."""

    def __init__(self, silent: bool = False) -> None:
        self.silent = silent
        self.sock = socket.socket()
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(64)
        self.port = self.sock.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self.conns: list[socket.socket] = []
        self.stop = False
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while not self.stop:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.conns.append(conn)
            if not self.silent:
                threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    def _serve(self, conn: socket.socket) -> None:
        import h2.config
        import h2.connection
        import h2.errors
        import h2.events

        h2c = h2.connection.H2Connection(h2.config.H2Configuration(client_side=False, header_encoding="utf-8"))
        h2c.initiate_connection()
        conn.sendall(h2c.data_to_send())
        try:
            while True:
                data = conn.recv(65536)
                if not data:
                    return
                for ev in h2c.receive_data(data):
                    if isinstance(ev, h2.events.RequestReceived):
                        path = dict(ev.headers)[":path"]
                        sid = ev.stream_id
                        if path == "/reset":
                            h2c.reset_stream(sid, h2.errors.ErrorCodes.INTERNAL_ERROR)
                        elif path == "/refuse":
                            h2c.reset_stream(sid, h2.errors.ErrorCodes.REFUSED_STREAM)
                        elif path == "/goaway":
                            h2c.close_connection(h2.errors.ErrorCodes.NO_ERROR, last_stream_id=0)
                            conn.sendall(h2c.data_to_send())
                            time.sleep(0.05)
                            conn.close()
                            return
                        elif path == "/stall":
                            h2c.send_headers(sid, [(":status", "200")])
                        elif path == "/close":
                            h2c.send_headers(sid, [(":status", "200")])
                            h2c.send_data(sid, b"partial")
                            conn.sendall(h2c.data_to_send())
                            time.sleep(0.05)
                            conn.shutdown(socket.SHUT_RDWR)
                            conn.close()
                            return
                        elif path == "/freeze":
                            # head, then never read or answer again (PINGs go unanswered)
                            h2c.send_headers(sid, [(":status", "200")])
                            conn.sendall(h2c.data_to_send())
                            while not self.stop:
                                time.sleep(0.05)
                            return
                        elif path == "/garbage":
                            conn.sendall(h2c.data_to_send() + b"\x00\x00\x01\x00\x00\x00\x00\x00\x00x")
                        else:
                            h2c.send_headers(sid, [(":status", "200"), ("content-length", "2")])
                            h2c.send_data(sid, b"ok", end_stream=True)
                conn.sendall(h2c.data_to_send())
        except (OSError, Exception):
            return

    def close(self) -> None:
        self.stop = True
        self.sock.close()
        for c in self.conns:
            try:
                c.close()
            except OSError:
                pass


@pytest.fixture
def bad_server() -> Iterator[BadServer]:
    s = BadServer()
    try:
        yield s
    finally:
        s.close()


@pytest.fixture
def silent_server() -> Iterator[BadServer]:
    s = BadServer(silent=True)
    try:
        yield s
    finally:
        s.close()


def pattern_sha256(n: int) -> str:
    """sha256 of the /bytes/N and docroot pattern: byte i = i % 251."""
    import hashlib

    block = bytes(i % 251 for i in range(251)) * 4096  # multiple of 251
    h = hashlib.sha256()
    left = n
    while left:
        k = min(left, len(block))
        h.update(block[:k])
        left -= k
    return h.hexdigest()


def rss_kib() -> int:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def thread_count() -> int:
    return len(os.listdir("/proc/self/task"))


def socket_fds() -> int:
    n = 0
    for fd in os.listdir("/proc/self/fd"):
        try:
            if os.readlink(f"/proc/self/fd/{fd}").startswith("socket:"):
                n += 1
        except OSError:
            pass
    return n


def wait_for(cond: Callable[[], bool], timeout: float = 5.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if cond():
            return True
        time.sleep(0.02)
    return cond()
