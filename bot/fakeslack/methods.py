"""The Web API methods the fake Slack answers, as Slack would (only what deliverybot uses)."""

from __future__ import annotations

import secrets

from bot.fakeslack.records import BOT_USER, Message, as_dict, as_list
from bot.fakeslack.state import SlackState


class WebApi(SlackState):
    """`_api_<method>` answers `<method>` (dots as underscores)."""

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

    def _api_conversations_history(self, args):
        """Newest first; thread replies stay in their thread. Needs a conversation id (a user
        id is not one: conversations.open gives the IM's)."""
        channel = args.get("channel", "")
        if not self._channel_exists(channel):
            return {"ok": False, "error": "channel_not_found"}
        if not self.history_granted:
            return _missing_history_scope(channel)
        found = [
            m for m in self._visible_in(channel, args) if m.thread_ts is None or m.thread_ts == m.ts
        ]
        return self._page(list(reversed(found)), args)

    def _api_conversations_replies(self, args):
        """The thread's parent, then its replies, oldest first."""
        channel, ts = args.get("channel", ""), args.get("ts", "")
        if not self._channel_exists(channel):
            return {"ok": False, "error": "channel_not_found"}
        if not self.history_granted:
            return _missing_history_scope(channel)
        visible = self._visible_in(channel, args)
        thread = [m for m in visible if m.ts == ts] + [m for m in visible if m.thread_ts == ts]
        if not any(m.ts == ts for m in self.messages if m.channel == channel):
            return {"ok": False, "error": "thread_not_found"}
        return self._page(thread, args)

    def _visible_in(self, channel: str, args: dict) -> list[Message]:
        """Messages in `channel` within `oldest`/`latest` (exclusive unless `inclusive`)."""
        oldest, latest = float(args.get("oldest") or 0), float(args.get("latest") or "inf")
        inclusive = _flag(args.get("inclusive"))
        found = []
        for message in self.messages_in(channel):
            ts = float(message.ts)
            after = ts >= oldest if inclusive else ts > oldest
            before = ts <= latest if inclusive else ts < latest
            if after and before:
                found.append(message)
        return found

    def _page(self, messages: list[Message], args: dict) -> dict:
        start = int(args.get("cursor") or 0)
        limit = min(int(args.get("limit") or 100), 999)
        page = messages[start : start + limit]
        more = start + limit < len(messages)
        metadata = _flag(args.get("include_all_metadata"))
        return {
            "messages": [m.as_slack(with_metadata=metadata) for m in page],
            "has_more": more,
            "response_metadata": {"next_cursor": str(start + limit) if more else ""},
        }

    def _api_conversations_info(self, args):
        channel = args.get("channel", "")
        if channel not in self.channels:
            return {"ok": False, "error": "channel_not_found"}
        return {"channel": {"id": channel, "is_member": BOT_USER in self.channels[channel]}}

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
            blocks=as_list(args.get("blocks")),
            thread_ts=args.get("thread_ts"),
            metadata=as_dict(args["metadata"]) if args.get("metadata") else None,
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
            blocks=as_list(args.get("blocks")),
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
            message.blocks = as_list(args.get("blocks"))
        return {"channel": message.channel, "ts": message.ts}

    def _api_chat_getPermalink(self, args):
        return {
            "permalink": f"https://fake.slack.com/archives/{args.get('channel')}/p{args.get('message_ts', '').replace('.', '')}"
        }

    def _api_views_open(self, args):
        view = as_dict(args.get("view"))
        view_id = f"V{next(self._ids):06d}"
        view.update(id=view_id, hash=secrets.token_hex(4), trigger_id=args.get("trigger_id"))
        self.views[view_id] = view
        return {"view": view}

    _api_views_push = _api_views_open

    def _api_views_update(self, args):
        view_id = args.get("view_id")
        if view_id not in self.views:
            return {"ok": False, "error": "not_found"}
        view = as_dict(args.get("view"))
        view.update(id=view_id, hash=secrets.token_hex(4))
        self.views[view_id] = view
        return {"view": view}

    def _api_views_publish(self, args):
        view = as_dict(args.get("view"))
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
        files = as_list(args.get("files"))
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


def _flag(value) -> bool:
    """A boolean argument as Slack reads it: true, "true" or "1" (slack-sdk sends 1/0)."""
    return value is True or str(value).lower() in ("1", "true")


def _missing_history_scope(channel: str) -> dict:
    needed = {"D": "im:history", "G": "groups:history"}.get(channel[:1], "channels:history")
    return {"ok": False, "error": "missing_scope", "needed": needed}
