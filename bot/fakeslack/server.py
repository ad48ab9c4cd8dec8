"""A fake Slack Web API over real HTTP: it records every call and keeps users, DMs, messages,
views and files the way Slack would, so tests and the demo can read what each person sees.

Only what deliverybot uses is implemented; anything else answers `unknown_method`.
"""

from __future__ import annotations

import itertools
import json
import secrets
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, quote, urlsplit
from zoneinfo import ZoneInfo

from bot.fakeslack.limits import message_problems, view_problems
from bot.fakeslack.socket_mode import PATH as SOCKET_PATH
from bot.fakeslack.socket_mode import SocketModeEndpoint, WebSocket, accept_key

BOT_USER = "UBOT"
BOT_TOKEN = "xoxb-fake-token"


@dataclass
class FakeUser:
    id: str
    name: str
    email: str | None = None
    tz: str = "UTC"
    real_name: str | None = None
    deleted: bool = False
    team_id: str = "T0001"  # their home workspace (another one: a Slack Connect guest)

    def as_slack(self) -> dict[str, Any]:

        offset = datetime.now(ZoneInfo(self.tz)).utcoffset()
        real = self.real_name or self.name
        return {
            "id": self.id,
            "team_id": self.team_id,
            "name": self.name,
            "real_name": real,
            "deleted": self.deleted,
            "tz": self.tz,
            "tz_offset": int(offset.total_seconds()) if offset else 0,
            "is_bot": False,
            "profile": {
                "email": self.email,
                "real_name": real,
                "display_name": self.name,
                "team": self.team_id,
            },
        }


@dataclass
class Call:
    method: str
    args: dict[str, Any]
    token: str | None
    at: float = field(default_factory=time.time)


@dataclass
class Message:
    channel: str
    ts: str
    text: str
    blocks: list[dict[str, Any]]
    thread_ts: str | None = None
    user: str = BOT_USER
    files: list[dict[str, Any]] = field(default_factory=list)
    ephemeral_to: str | None = None
    history: list[dict[str, Any]] = field(default_factory=list)  # earlier versions (chat.update)


@dataclass
class Failure:
    error: str
    times: int
    status: int = 200
    retry_after: int | None = None
    when: Any = None  # optional predicate on args


class FakeSlack:
    """Start with `with FakeSlack() as slack:`; `slack.api_url` goes to SLACK_API_URL."""

    def __init__(self, *, token: str = BOT_TOKEN, team_id: str = "T0001"):
        self.token = token
        self.team_id = team_id
        self.users: dict[str, FakeUser] = {}
        self.channels: dict[str, set[str]] = {}  # channel id -> members
        self.usergroups: dict[str, list[str]] = {}
        self.calls: list[Call] = []
        self.messages: list[Message] = []
        self.responses: list[dict[str, Any]] = []  # what response_url received
        self.rejected: list[dict[str, Any]] = []  # calls refused for breaking Block Kit limits
        self.views: dict[str, dict[str, Any]] = {}
        self.home: dict[str, dict[str, Any]] = {}  # user -> published Home view
        self.files: dict[str, dict[str, Any]] = {}
        self.file_contents: dict[str, bytes] = {}
        self.downloads: list[dict[str, Any]] = []  # file requests: id, authorized
        self.files_read_granted = True  # without files:read Slack serves a sign-in page
        self.download_delay = 0.0  # seconds before a file download answers (a slow Slack)
        self.failures: dict[str, list[Failure]] = {}
        self.socket_mode = SocketModeEndpoint()  # the app's WebSocket when SLACK_APP_TOKEN is set
        self._ids = itertools.count(1)
        self._ts = itertools.count(1)
        self._lock = threading.RLock()
        self._server: ThreadingHTTPServer | None = None

    # -- lifecycle ---------------------------------------------------------------------------
    def start(self) -> FakeSlack:
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler_for(self))
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, args=(0.05,), daemon=True).start()
        return self

    def stop(self) -> None:
        self.socket_mode.close()
        if self._server:
            self._server.shutdown()
            self._server.server_close()

    def __enter__(self) -> FakeSlack:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def base_url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    @property
    def api_url(self) -> str:
        return f"{self.base_url}/api/"

    # -- set-up ------------------------------------------------------------------------------
    def add_user(
        self,
        user_id: str,
        name: str,
        *,
        email: str | None = None,
        tz: str = "UTC",
        real_name: str | None = None,
        team_id: str | None = None,
    ) -> FakeUser:
        user = FakeUser(
            user_id, name, email=email, tz=tz, real_name=real_name, team_id=team_id or self.team_id
        )
        self.users[user_id] = user
        return user

    def add_channel(self, channel_id: str, members: list[str]) -> None:
        self.channels[channel_id] = set(members)

    def fail(
        self,
        method: str,
        error: str,
        *,
        times: int = 1,
        status: int = 200,
        retry_after: int | None = None,
        when: Any = None,
    ) -> None:
        """Make the next `times` calls of `method` fail (429 with Retry-After, 500, or an error)."""
        self.failures.setdefault(method, []).append(
            Failure(error=error, times=times, status=status, retry_after=retry_after, when=when)
        )

    def upload_file(
        self,
        user: str,
        name: str,
        content: bytes,
        *,
        mimetype: str = "application/pdf",
        filetype: str = "pdf",
    ) -> dict[str, Any]:
        """A person drops a file into Slack: returns the file object Slack would send."""
        file_id = f"F{next(self._ids):06d}"
        info = {
            "id": file_id,
            "name": name,
            "title": name,
            "mimetype": mimetype,
            "filetype": filetype,
            "size": len(content),
            "user": user,
            "url_private": f"{self.base_url}/files/{file_id}/{quote(name)}",
            "url_private_download": f"{self.base_url}/files/{file_id}/download/{quote(name)}",
        }
        with self._lock:
            self.files[file_id] = info
            self.file_contents[file_id] = content
        return info

    # -- reading what people see ---------------------------------------------------------------
    def dm_channel(self, user_id: str) -> str:
        return f"D{user_id}"

    def calls_to(self, method: str) -> list[Call]:
        return [call for call in self.calls if call.method == method]

    def messages_in(self, channel: str) -> list[Message]:
        channel = self._resolve_channel(channel)
        return [m for m in self.messages if m.channel == channel and m.ephemeral_to is None]

    def dms(self, user_id: str) -> list[Message]:
        """Messages the bot posted in its DM with `user_id`, oldest first, as they are now."""
        return self.messages_in(self.dm_channel(user_id))

    def ephemerals(self, user_id: str) -> list[Message]:
        return [m for m in self.messages if m.ephemeral_to == user_id]

    def find_message(self, channel: str, ts: str) -> Message | None:
        channel = self._resolve_channel(channel)
        return next((m for m in self.messages if m.channel == channel and m.ts == ts), None)

    # -- the Web API ---------------------------------------------------------------------------
    def handle(
        self, method: str, args: dict[str, Any], token: str | None
    ) -> tuple[int, dict, dict]:
        with self._lock:
            self.calls.append(Call(method, args, token))
            if method == "apps.connections.open":  # the one method called with the app token
                return 200, self.socket_mode.open_connection(token, self.base_url), {}
            if token != self.token:
                return 200, {"ok": False, "error": "invalid_auth"}, {}
            failure = self._take_failure(method, args)
            if failure:
                headers = {"Retry-After": str(failure.retry_after)} if failure.retry_after else {}
                return failure.status, {"ok": False, "error": failure.error}, headers
            handler = getattr(self, "_api_" + method.replace(".", "_"), None)
            if handler is None:
                return 200, {"ok": False, "error": "unknown_method"}, {}
            refused = self.check_limits(method, args)
            if refused:
                return 200, refused, {}
            result = handler(args)
            if "ok" not in result:
                result = {"ok": True, **result}
            return 200, result, {}

    def check_limits(self, method: str, args: dict[str, Any]) -> dict[str, Any] | None:
        """Real Slack's answer to blocks or a view breaking a Block Kit limit, else None."""
        if method.startswith("views."):
            error, problems = "invalid_arguments", view_problems(_as_dict(args.get("view")))
        elif method in ("chat.postMessage", "chat.update", "chat.postEphemeral", "response_url"):
            error, problems = "invalid_blocks", message_problems(_as_list(args.get("blocks")))
        else:
            return None
        if not problems:
            return None
        with self._lock:
            self.rejected.append({"method": method, "error": error, "problems": problems})
        messages = [f"[ERROR] {problem}" for problem in problems]
        return {"ok": False, "error": error, "response_metadata": {"messages": messages}}

    def _take_failure(self, method: str, args: dict[str, Any]) -> Failure | None:
        for failure in self.failures.get(method, []):
            if failure.times > 0 and (failure.when is None or failure.when(args)):
                failure.times -= 1
                return failure
        return None

    def _next_ts(self) -> str:
        return f"{int(time.time())}.{next(self._ts):06d}"

    def _resolve_channel(self, channel: str) -> str:
        if channel in self.users:
            return self.dm_channel(channel)
        return channel

    def _channel_exists(self, channel: str) -> bool:
        if channel.startswith("D") and channel[1:] in self.users:
            return not self.users[channel[1:]].deleted
        return channel in self.channels

    def _check_channel(self, channel: str | None) -> dict[str, Any] | None:
        if not channel:
            return {"ok": False, "error": "channel_not_found"}
        if channel in self.users and self.users[channel].deleted:
            return {"ok": False, "error": "account_inactive"}
        if not self._channel_exists(self._resolve_channel(channel)):
            return {"ok": False, "error": "channel_not_found"}
        return None

    def _api_auth_test(self, args):
        return {
            "url": "https://fake.slack.com/",
            "team": "Fake",
            "user": "deliverybot",
            "team_id": self.team_id,
            "user_id": BOT_USER,
            "bot_id": "BBOT",
        }

    def _api_users_info(self, args):
        user = self.users.get(args.get("user", ""))
        if not user:
            return {"ok": False, "error": "user_not_found"}
        return {"user": user.as_slack()}

    def _api_users_lookupByEmail(self, args):
        email = (args.get("email") or "").lower()
        for user in self.users.values():
            if user.email and user.email.lower() == email and not user.deleted:
                return {"user": user.as_slack()}
        return {"ok": False, "error": "users_not_found"}

    def _api_conversations_open(self, args):
        users = args.get("users", "")
        if isinstance(users, list):
            users = ",".join(users)
        user = users.split(",")[0]
        if user not in self.users:
            return {"ok": False, "error": "user_not_found"}
        return {"channel": {"id": self.dm_channel(user)}}

    def _api_conversations_members(self, args):
        channel = args.get("channel", "")
        if channel not in self.channels:
            return {"ok": False, "error": "channel_not_found"}
        members = sorted(self.channels[channel])
        start, limit = int(args.get("cursor") or 0), int(args.get("limit") or 100)
        rest = str(start + limit) if start + limit < len(members) else ""
        page = members[start : start + limit]
        return {"members": page, "response_metadata": {"next_cursor": rest}}

    def _api_usergroups_users_list(self, args):
        group = args.get("usergroup", "")
        if group not in self.usergroups:
            return {"ok": False, "error": "no_such_subteam"}
        return {"users": self.usergroups[group]}

    def _api_chat_postMessage(self, args):
        error = self._check_channel(args.get("channel"))
        if error:
            return error
        if not args.get("text") and not args.get("blocks"):
            return {"ok": False, "error": "no_text"}
        channel = self._resolve_channel(args["channel"])
        message = Message(
            channel=channel,
            ts=self._next_ts(),
            text=args.get("text", ""),
            blocks=_as_list(args.get("blocks")),
            thread_ts=args.get("thread_ts"),
        )
        self.messages.append(message)
        return {"channel": channel, "ts": message.ts, "message": {"text": message.text}}

    def _api_chat_postEphemeral(self, args):
        error = self._check_channel(args.get("channel"))
        if error:
            return error
        message = Message(
            channel=self._resolve_channel(args["channel"]),
            ts=self._next_ts(),
            text=args.get("text", ""),
            blocks=_as_list(args.get("blocks")),
            ephemeral_to=args.get("user"),
        )
        self.messages.append(message)
        return {"message_ts": message.ts}

    def _api_chat_update(self, args):
        message = self.find_message(args.get("channel", ""), args.get("ts", ""))
        if message is None:
            return {"ok": False, "error": "message_not_found"}
        message.history.append({"text": message.text, "blocks": message.blocks})
        message.text = args.get("text", message.text)
        if "blocks" in args:
            message.blocks = _as_list(args.get("blocks"))
        return {"channel": message.channel, "ts": message.ts}

    def _api_chat_getPermalink(self, args):
        return {
            "permalink": f"https://fake.slack.com/archives/{args.get('channel')}/p{args.get('message_ts', '').replace('.', '')}"
        }

    def _api_views_open(self, args):
        view = _as_dict(args.get("view"))
        view_id = f"V{next(self._ids):06d}"
        view.update(id=view_id, hash=secrets.token_hex(4), trigger_id=args.get("trigger_id"))
        self.views[view_id] = view
        return {"view": view}

    _api_views_push = _api_views_open

    def _api_views_update(self, args):
        view_id = args.get("view_id")
        if view_id not in self.views:
            return {"ok": False, "error": "not_found"}
        view = _as_dict(args.get("view"))
        view.update(id=view_id, hash=secrets.token_hex(4))
        self.views[view_id] = view
        return {"view": view}

    def _api_views_publish(self, args):
        view = _as_dict(args.get("view"))
        user = args.get("user_id", "")
        if user not in self.users:
            return {"ok": False, "error": "user_not_found"}
        view.update(id=f"VH{user}", hash=secrets.token_hex(4))
        self.home[user] = view
        return {"view": view}

    def _api_files_info(self, args):
        info = self.files.get(args.get("file", ""))
        if not info:
            return {"ok": False, "error": "file_not_found"}
        return {"file": info}

    def _api_files_getUploadURLExternal(self, args):
        file_id = f"F{next(self._ids):06d}"
        self.files[file_id] = {
            "id": file_id,
            "name": args.get("filename"),
            "size": int(args.get("length", 0)),
            "pending": True,
        }
        return {"upload_url": f"{self.base_url}/upload/{file_id}", "file_id": file_id}

    def _api_files_completeUploadExternal(self, args):
        files = _as_list(args.get("files"))
        channel = args.get("channel_id")
        shared = []
        for item in files:
            info = self.files.get(item.get("id"))
            if not info or info.get("pending") is not False:
                return {"ok": False, "error": "file_not_found"}
            info["title"] = item.get("title") or info["name"]
            shared.append(info)
        if channel:
            error = self._check_channel(channel)
            if error:
                return error
            message = Message(
                channel=self._resolve_channel(channel),
                ts=self._next_ts(),
                text=args.get("initial_comment", ""),
                blocks=[],
                files=shared,
                thread_ts=args.get("thread_ts"),
            )
            self.messages.append(message)
        return {"files": [{"id": f["id"], "title": f["title"]} for f in shared]}

    def receive_upload(self, file_id: str, content: bytes) -> bool:
        with self._lock:
            info = self.files.get(file_id)
            if not info or not info.get("pending"):
                return False
            info.update(pending=False, size=len(content))
            self.file_contents[file_id] = content
            return True


def _as_list(value: Any) -> list:
    if isinstance(value, str):
        return json.loads(value) if value else []
    return list(value or [])


def _as_dict(value: Any) -> dict:
    if isinstance(value, str):
        return json.loads(value)
    return dict(value or {})


def _handler_for(slack: FakeSlack) -> type[BaseHTTPRequestHandler]:
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
            status, data, headers = slack.handle(path[len("/api/") :], args, token)
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
