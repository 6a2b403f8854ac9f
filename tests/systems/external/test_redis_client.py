"""The Redis client against a fake server that drops every connection mid-command.

No Redis server is needed: a loopback socket that reads one command and hangs up plays
the part of a server killed between applying a write and answering it.
"""

from __future__ import annotations

import socket
import threading
from typing import Any

from systems.external._redis import RedisClient


def _commands(data: bytes) -> list[bytes]:
    """The RESP request arrays in ``data``, one bytes string each."""
    return [b"*" + part for part in data.split(b"*")[1:] if part[:1].isdigit()]


def _answer(conn: socket.socket, command: bytes) -> bool:
    """Play the handshake (HELLO, CLIENT SETINFO); hang up on anything else."""
    if b"HELLO" in command:
        conn.sendall(b"%1\r\n+proto\r\n:3\r\n")
        return True
    if b"CLIENT" in command:
        conn.sendall(b"+OK\r\n")
        return True
    return False


def _dropping_server() -> tuple[int, list[bytes], threading.Event]:
    """A loopback listener that records every command, answers the connection handshake
    and closes the connection on the first real command, unanswered."""
    listener = socket.create_server(("127.0.0.1", 0))
    received: list[bytes] = []
    stop = threading.Event()

    def serve() -> None:
        listener.settimeout(0.1)
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
            except TimeoutError:
                continue
            with conn:
                conn.settimeout(2)
                _serve_one(conn, received)
        listener.close()

    threading.Thread(target=serve, daemon=True).start()
    return listener.getsockname()[1], received, stop


def _serve_one(conn: socket.socket, received: list[bytes]) -> None:
    while data := conn.recv(65536):
        for command in _commands(data):
            received.append(command)
            if not _answer(conn, command):
                return


def test_a_write_whose_connection_drops_is_sent_once_and_is_info() -> None:
    """Guards against redis-py's default resend (up to 10 times on a connection error): a
    resent SET can land after a later write, which the checker would blame on Redis."""
    port, received, stop = _dropping_server()
    client = RedisClient(port, port, timeout=1.0)
    try:
        client.open("n1")
        done: dict[str, Any] = client.invoke({"f": "write", "value": [1, 7], "process": 0})
    finally:
        client.close()
        stop.set()
    assert done["type"] == "info"
    sets = [c for c in received if b"$3\r\nSET\r\n" in c]
    assert len(sets) == 1, received
