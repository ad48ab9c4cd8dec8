"""The fake Slack's state: users, channels, messages, views, files and injected failures, and
how one Web API call is answered (recorded, authorised, failed on demand, checked against
Block Kit limits). Tests and the demo read what each person sees from here."""

from __future__ import annotations

import itertools
import threading
import time
from typing import Any
from urllib.parse import quote

from bot.fakeslack.limits import message_problems, view_problems
from bot.fakeslack.records import (
    BOT_TOKEN,
    Call,
    Failure,
    FakeUser,
    HangUp,
    Hold,
    Message,
    as_dict,
    as_list,
)
from bot.fakeslack.socket_mode import SocketModeEndpoint


class SlackState:
    """Everything the fake Slack knows, and how a Web API call is answered (bot.fakeslack.methods
    holds the methods); no HTTP here."""

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
        self.holds: list[Hold] = []
        self.history_granted = True  # without *:history scopes conversations.history refuses
        self.scopes: list[str] | None = None  # sent as x-oauth-scopes on every answer, when set
        self.socket_mode = SocketModeEndpoint()  # the app's WebSocket when SLACK_APP_TOKEN is set
        self._ids = itertools.count(1)
        self._ts = itertools.count(1)
        self._lock = threading.RLock()
        self.base_url = ""  # set when the HTTP server starts

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

    def hold(self, method: str, *, recorded: bool = False, when: Any = None) -> Hold:
        """Keep the next call of `method` (matching `when`) waiting until `hold.release()`:
        before it takes effect, or (`recorded`) after Slack has done it, with its answer held."""
        hold = Hold(method, recorded=recorded, when=when)
        with self._lock:
            self.holds.append(hold)
        return hold

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
        """Answer one Web API call, keeping it waiting first if a test holds it (HangUp: the
        connection is closed without an answer)."""
        hold = self.take_hold(method, args)
        if hold and not hold.recorded:
            hold.wait()
            if not hold.take_effect:  # the caller died before Slack received it
                raise HangUp
        answer = self._answer(method, args, token)
        if hold and hold.recorded:
            hold.wait()
        if hold and not hold.answer:
            raise HangUp
        return answer

    def take_hold(self, method: str, args: dict[str, Any]) -> Hold | None:
        """The test's hold on this call, if any (each hold keeps one call waiting)."""
        with self._lock:
            hold = next((h for h in self.holds if _matches(h, method, args)), None)
            if hold:
                self.holds.remove(hold)
        return hold

    def _answer(
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
            error, problems = "invalid_arguments", view_problems(as_dict(args.get("view")))
        elif method in ("chat.postMessage", "chat.update", "chat.postEphemeral", "response_url"):
            error, problems = "invalid_blocks", message_problems(as_list(args.get("blocks")))
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

    def receive_upload(self, file_id: str, content: bytes) -> bool:
        with self._lock:
            info = self.files.get(file_id)
            if not info or not info.get("pending"):
                return False
            info.update(pending=False, size=len(content))
            self.file_contents[file_id] = content
            return True


def _matches(hold: Hold, method: str, args: dict[str, Any]) -> bool:
    return hold.method == method and (hold.when is None or hold.when(args))
