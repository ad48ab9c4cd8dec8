"""Slack's side of Socket Mode for the fake: `apps.connections.open` hands out a ws:// URL, the
app connects there over WebSocket, gets `hello`, and acknowledges every envelope sent to it.

The WebSocket server side (RFC 6455) is the least slack_sdk's builtin client needs: the upgrade
handshake, single-frame text messages (masked from the client, unmasked from us), ping/pong and
close. No extensions, no fragmentation.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import io
import itertools
import json
import queue
import socket
import struct
import threading
import time
from typing import Any

APP_TOKEN_PREFIX = "xapp-"
PATH = "/socket"
_GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"  # fixed by RFC 6455
TEXT, CLOSE, PING, PONG = 0x1, 0x8, 0x9, 0xA


def accept_key(key: str) -> str:
    """The Sec-WebSocket-Accept answering a client's Sec-WebSocket-Key."""
    return base64.b64encode(hashlib.sha1((key + _GUID).encode()).digest()).decode()


class WebSocket:
    """The server end of one WebSocket whose handshake is done."""

    def __init__(self, rfile: io.BufferedIOBase, sock: socket.socket):
        self.rfile = rfile
        self.sock = sock
        self._send_lock = threading.Lock()
        self.closed = False

    def send_text(self, text: str) -> None:
        self._send_frame(TEXT, text.encode())

    def receive(self) -> str | None:
        """The next text message (pings answered on the way), or None once the socket closed."""
        while True:
            frame = self._read_frame()
            if frame is None:
                return None
            opcode, data = frame
            if opcode == TEXT:
                return data.decode()
            if opcode == PING:
                self._send_frame(PONG, data)
            elif opcode == CLOSE:
                self.close()
                return None

    def close(self, code: int = 1000) -> None:
        if self.closed:
            return
        with contextlib.suppress(OSError):
            self._send_frame(CLOSE, struct.pack("!H", code))
        self.closed = True
        with contextlib.suppress(OSError):  # wakes up the thread blocked in receive()
            self.sock.shutdown(socket.SHUT_RDWR)

    def _send_frame(self, opcode: int, data: bytes) -> None:
        header = bytes([0x80 | opcode])  # FIN + opcode; a server never masks
        if len(data) < 126:
            header += bytes([len(data)])
        elif len(data) < 1 << 16:
            header += bytes([126]) + struct.pack("!H", len(data))
        else:
            header += bytes([127]) + struct.pack("!Q", len(data))
        with self._send_lock:
            self.sock.sendall(header + data)

    def _read_frame(self) -> tuple[int, bytes] | None:
        try:
            head = self._read(2)
            if head is None:
                return None
            opcode, length = head[0] & 0x0F, head[1] & 0x7F
            if length == 126:
                (length,) = struct.unpack("!H", self._read(2) or b"\0\0")
            elif length == 127:
                (length,) = struct.unpack("!Q", self._read(8) or bytes(8))
            mask = self._read(4) if head[1] & 0x80 else None
            data = self._read(length) if length else b""
        except (OSError, ValueError):  # the socket was shut down under us
            return None
        if data is None or (head[1] & 0x80 and mask is None):
            return None
        if mask:
            data = bytes(byte ^ key for byte, key in zip(data, itertools.cycle(mask)))
        return opcode, data

    def _read(self, size: int) -> bytes | None:
        data = self.rfile.read(size)
        return data if len(data) == size else None


class SocketModeEndpoint:
    """The apps connected in Socket Mode; tests send envelopes and read back the acks."""

    def __init__(self):
        self.connections: list[WebSocket] = []
        self._connected = threading.Condition()
        self._received: queue.Queue[dict[str, Any]] = queue.Queue()
        self._ids = itertools.count(1)

    def open_connection(self, token: str | None, base_url: str) -> dict[str, Any]:
        """`apps.connections.open`: only an app-level token gets a URL."""
        if not token or not token.startswith(APP_TOKEN_PREFIX):
            return {"ok": False, "error": "not_allowed_token_type"}
        ws_url = base_url.replace("http://", "ws://", 1)
        return {"ok": True, "url": f"{ws_url}{PATH}?ticket=fake-{next(self._ids)}"}

    def serve(self, websocket: WebSocket) -> None:
        """Runs on the connection's own thread until the app goes away."""
        websocket.send_text(
            json.dumps(
                {"type": "hello", "num_connections": 1, "connection_info": {"app_id": "A0001"}}
            )
        )
        with self._connected:
            self.connections.append(websocket)
            self._connected.notify_all()
        try:
            while (text := websocket.receive()) is not None:
                self._received.put(json.loads(text))
        finally:
            with self._connected:
                self.connections.remove(websocket)

    def wait_for_connection(self, timeout: float) -> None:
        with self._connected:
            if not self._connected.wait_for(lambda: self.connections, timeout=timeout):
                raise TimeoutError(f"no app connected in Socket Mode within {timeout}s")

    def send(self, type_: str, payload: dict[str, Any], *, timeout: float = 5) -> dict[str, Any]:
        """Sends an envelope to the connected app; returns its acknowledgement."""
        self.wait_for_connection(timeout)
        envelope_id = f"fake-envelope-{next(self._ids)}"
        envelope = {
            "envelope_id": envelope_id,
            "type": type_,
            "payload": payload,
            "accepts_response_payload": True,
            "retry_attempt": 0,
        }
        self.connections[-1].send_text(json.dumps(envelope))
        deadline = time.monotonic() + timeout
        while True:
            try:
                message = self._received.get(timeout=max(0, deadline - time.monotonic()))
            except queue.Empty:
                raise TimeoutError(f"no ack for {type_} envelope within {timeout}s") from None
            if message.get("envelope_id") == envelope_id:
                return message

    def close(self) -> None:
        with self._connected:
            connections = list(self.connections)
        for websocket in connections:
            websocket.close()
