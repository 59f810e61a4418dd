"""Audit items 8 and 9, against a real web process started from the Procfile's line:
a header size limit, a websocket message limit near the app's, and a socket cap per
client address with a clear close code."""

from __future__ import annotations

import json
import select
import socket
import subprocess
import sys
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path

import pytest
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import ClientConnection, connect

from . import factories
from .servers import ROOT, free_port, start_web, subprocess_env

pytestmark = pytest.mark.django_db(transaction=True)
CAP = 3


@pytest.fixture
def server(tmp_path: Path) -> Iterator[str]:
    port = free_port()
    web = start_web(subprocess_env(WS_MAX_PER_ADDRESS=str(CAP)), port, tmp_path / "web.log")
    yield f"127.0.0.1:{port}"
    web.proc.terminate()
    web.proc.wait(timeout=20)


def raw_request(address: str, request: bytes) -> bytes:
    """Send in 16 KB pieces and stop once an answer is readable: a server that answers
    early and closes would otherwise reset the connection over the unread rest."""
    host, port = address.split(":")
    with socket.create_connection((host, int(port)), timeout=10) as sock:
        for start in range(0, len(request), 16384):
            sock.sendall(request[start : start + 16384])
            if select.select([sock], [], [], 0.05)[0]:
                break
        chunks = []
        while chunk := sock.recv(65536):
            chunks.append(chunk)
    return b"".join(chunks)


def test_huge_and_unfinished_headers_get_431(server: str) -> None:
    big = b"GET / HTTP/1.1\r\nHost: " + server.encode() + b"\r\nX-Big: " + b"a" * 200_000 + b"\r\n\r\n"
    assert raw_request(server, big).startswith(b"HTTP/1.1 431")
    unfinished = b"GET / HTTP/1.1\r\nHost: " + server.encode() + b"\r\nX-Big: " + b"a" * 1_000_000
    assert raw_request(server, unfinished).startswith(b"HTTP/1.1 431")
    ordinary = raw_request(
        server, b"GET /healthz HTTP/1.1\r\nHost: " + server.encode() + b"\r\nConnection: close\r\n\r\n"
    )
    assert not ordinary.startswith(b"HTTP/1.1 431")


def socket_to(stack: ExitStack, server: str, slug: str) -> ClientConnection:
    ws = stack.enter_context(connect(f"ws://{server}/ws/actions/{slug}/", origin=f"http://{server}", open_timeout=10))
    return ws


def frames_until_closed(ws: ClientConnection) -> tuple[list[dict], int | None]:
    frames = []
    try:
        while True:
            frames.append(json.loads(ws.recv(timeout=10)))
    except ConnectionClosed as closed:
        return frames, closed.rcvd.code if closed.rcvd else None


def test_websocket_messages_are_limited_near_the_apps_limit(server: str) -> None:
    action = factories.action(factories.member("olga"))
    with ExitStack() as stack:
        ws = socket_to(stack, server, action.slug)
        assert json.loads(ws.recv(timeout=10))["type"] == "snapshot"
        ws.send("x" * 100_000)
        frames, code = frames_until_closed(ws)
    # Refused by the server's limit before the app read it (the app would say too_large).
    assert code == 1009 and frames == []


def test_sockets_per_address_are_capped_with_a_clear_close(server: str) -> None:
    action = factories.action(factories.member("olga"))
    with ExitStack() as stack:
        held = [socket_to(stack, server, action.slug) for _ in range(CAP)]
        for ws in held:
            assert json.loads(ws.recv(timeout=10))["type"] == "snapshot"
        frames, code = frames_until_closed(socket_to(stack, server, action.slug))
        assert [f["code"] for f in frames] == ["too_many_sockets"] and code == 4429
        held.pop().close()

        # The server frees the place once its handler has finished, a moment after our
        # close; each retry is itself the check (a refused one is answered at once).
        for _ in range(500):
            with connect(f"ws://{server}/ws/actions/{action.slug}/", origin=f"http://{server}") as ws:
                if json.loads(ws.recv(timeout=10))["type"] == "snapshot":
                    break
        else:
            raise AssertionError("the freed place was never taken again")


def test_too_few_file_descriptors_are_warned_about_at_start() -> None:
    code = (
        "import resource; resource.setrlimit(resource.RLIMIT_NOFILE, (256, 256));"
        "from goodmob.server import ensure_fd_headroom; print(ensure_fd_headroom(1000))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=30, cwd=ROOT)
    assert done.stdout.strip() == "256"
    assert "only 256 file descriptors" in done.stderr


def test_a_token_in_a_socket_url_stays_out_of_the_log(server: str, tmp_path: Path) -> None:
    with connect(f"ws://{server}/ws/me/?token=SECRET-0000&x=1", origin=f"http://{server}") as ws:
        frames, _ = frames_until_closed(ws)
    assert frames[0]["code"] == "unauthorized"
    log = (tmp_path / "web.log").read_text()
    assert "/ws/me/?token=[redacted]" in log and "SECRET-0000" not in log
