"""A tiny SMTP server for the demo (stdlib only): it keeps what it receives, and refuses the
addresses it is told do not exist (550), as a real server would. Plain SMTP on 127.0.0.1."""

from __future__ import annotations

import email
import email.policy
import socketserver
import threading
from email.message import EmailMessage


class _Session(socketserver.StreamRequestHandler):
    server: MailSink._Server

    def reply(self, line: str) -> None:
        self.wfile.write(line.encode() + b"\r\n")

    def handle(self) -> None:
        self.reply("220 demo mail sink")
        recipients: list[str] = []
        while line := self.rfile.readline(65536):
            command = line.decode("utf-8", "replace").strip()
            verb = command[:4].upper()
            if verb in ("EHLO", "HELO"):
                self.reply("250 demo mail sink")
            elif verb == "MAIL":
                recipients = []
                self.reply("250 OK")
            elif verb == "RCPT":
                address = command.partition(":")[2].strip().strip("<>").lower()
                if address in self.server.sink.missing:
                    self.reply("550 no such mailbox")
                else:
                    recipients.append(address)
                    self.reply("250 OK")
            elif verb == "DATA":
                self.reply("354 end with <CRLF>.<CRLF>")
                data = bytearray()
                while (chunk := self.rfile.readline(65536)) not in (b".\r\n", b""):
                    data += chunk[1:] if chunk.startswith(b"..") else chunk
                self.server.sink.received(bytes(data))
                self.reply("250 OK")
            elif verb == "QUIT":
                self.reply("221 bye")
                return
            else:
                self.reply("250 OK" if verb in ("RSET", "NOOP") else "502 not implemented")


class MailSink:
    class _Server(socketserver.ThreadingTCPServer):
        daemon_threads = True
        sink: MailSink

    def __init__(self, missing: set[str] | None = None):
        self.missing = {address.lower() for address in missing or set()}
        self.messages: list[EmailMessage] = []
        self._server = MailSink._Server(("127.0.0.1", 0), _Session)
        self._server.sink = self
        self.url = f"smtp://127.0.0.1:{self._server.server_address[1]}"

    def received(self, data: bytes) -> None:
        parsed = email.message_from_bytes(data, policy=email.policy.default)
        self.messages.append(parsed)  # type: ignore[arg-type,unused-ignore]

    def __enter__(self) -> MailSink:
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()
