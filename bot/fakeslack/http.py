"""The fake Slack's HTTP front: Web API calls, file downloads and uploads, Socket Mode."""

from __future__ import annotations

import json
import time
from http.server import BaseHTTPRequestHandler
from urllib.parse import parse_qs, urlsplit

from bot.fakeslack.records import HangUp
from bot.fakeslack.socket_mode import PATH as SOCKET_PATH
from bot.fakeslack.socket_mode import WebSocket, accept_key
from bot.fakeslack.state import SlackState


def handler_for(slack: SlackState) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args):  # keep test output quiet
            pass

        def _send(self, status: int, body: bytes, content_type: str, headers: dict | None = None):
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            for name, value in (headers or {}).items():
                self.send_header(name, value)
            try:
                self.end_headers()
                self.wfile.write(body)
            except (BrokenPipeError, ConnectionResetError):  # the client gave up waiting
                self.close_connection = True

        def _json(self, status: int, data: dict, headers: dict | None = None):
            self._send(
                status, json.dumps(data).encode(), "application/json; charset=utf-8", headers
            )

        def _token(self, args: dict) -> str | None:
            auth = self.headers.get("Authorization", "")
            if auth.startswith("Bearer "):
                return auth[len("Bearer ") :]
            return args.pop("token", None)

        def _body(self) -> bytes:
            length = int(self.headers.get("Content-Length") or 0)
            return self.rfile.read(length) if length else b""

        def do_GET(self):
            parts = urlsplit(self.path)
            if parts.path.startswith("/files/"):
                return self._download(parts.path)
            if parts.path == SOCKET_PATH:
                return self._websocket()
            args = {k: v[0] for k, v in parse_qs(parts.query).items()}
            self._api(parts.path, args)

        def do_POST(self):
            parts = urlsplit(self.path)
            body = self._body()
            if parts.path.startswith("/upload/"):
                ok = slack.receive_upload(parts.path.split("/")[2], body)
                return self._send(200 if ok else 404, b"OK" if ok else b"", "text/plain")
            if parts.path.startswith("/respond/"):
                reply = json.loads(body or b"{}")
                if hold := slack.take_hold("response_url", reply):  # slack.hold("response_url")
                    hold.wait()
                with slack._lock:
                    failure = slack._take_failure(
                        "response_url", reply
                    )  # slack.fail("response_url", …)
                if failure:
                    return self._send(failure.status, failure.error.encode(), "text/plain")
                if slack.check_limits("response_url", reply):  # Slack answers 400 invalid_blocks
                    return self._send(400, b"invalid_blocks", "text/plain")
                slack.responses.append({"url_id": parts.path.split("/")[2], **reply})
                return self._send(200, b"ok", "text/plain")
            content_type = self.headers.get("Content-Type", "")
            if "json" in content_type:
                args = json.loads(body or b"{}")
            else:
                args = {k: v[0] for k, v in parse_qs(body.decode()).items()}
            args.update({k: v[0] for k, v in parse_qs(parts.query).items()})
            self._api(parts.path, args)

        def _api(self, path: str, args: dict):
            if not path.startswith("/api/"):
                return self._send(404, b"not found", "text/plain")
            token = self._token(args)
            try:
                status, data, headers = slack.handle(path[len("/api/") :], args, token)
            except HangUp:
                self.close_connection = True
                return
            if slack.scopes is not None:
                headers = {**headers, "x-oauth-scopes": ",".join(slack.scopes)}
            self._json(status, data, headers)

        def _websocket(self):
            key = self.headers.get("Sec-WebSocket-Key")
            if self.headers.get("Upgrade", "").lower() != "websocket" or not key:
                return self._send(400, b"expected a WebSocket upgrade", "text/plain")
            self.send_response(101)
            self.send_header("Upgrade", "websocket")
            self.send_header("Connection", "Upgrade")
            self.send_header("Sec-WebSocket-Accept", accept_key(key))
            self.end_headers()
            self.close_connection = True  # after the WebSocket, this socket is done
            slack.socket_mode.serve(WebSocket(self.rfile, self.connection))

        def _download(self, path: str):
            file_id = path.split("/")[2]
            authorized = self.headers.get("Authorization") == f"Bearer {slack.token}"
            slack.downloads.append({"file": file_id, "authorized": authorized})
            time.sleep(slack.download_delay)
            if not authorized or not slack.files_read_granted:  # Slack: a login page, status 200
                return self._send(200, b"<html><body>Sign in</body></html>", "text/html")
            content = slack.file_contents.get(file_id)
            if content is None:
                return self._send(404, b"", "text/plain")
            info = slack.files[file_id]
            self._send(200, content, info.get("mimetype") or "application/octet-stream")

    return Handler
