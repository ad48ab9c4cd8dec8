"""What Slack sends each kind of listener, as typed pydantic models. A listener gets one of
these, never the raw dict; a payload that does not fit is refused at the boundary
(`handlers.boundary`) before anything runs.

Ids are checked for their form (a user id is capitals and digits, `U0123ABCD`), strings for
their length (they end up in columns of bounded size), and numbers that Slack carries in
strings (a button's `"17"`) are read as numbers. `Click`, `Submission` and `EventCallback` are generic
in what the listener needs: the action it handles, the modal it reads, the event it answers.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Annotated, Any, Generic, Literal, TypeVar

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Discriminator,
    Field,
    StringConstraints,
    Tag,
    ValidationError,
    model_validator,
)


class Payload(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)


UserId = Annotated[str, StringConstraints(pattern=r"^[A-Z][A-Z0-9]{1,31}$")]
FileId = Annotated[str, StringConstraints(pattern=r"^F[A-Z0-9]{1,31}$")]
EventId = Annotated[str, StringConstraints(pattern=r"^Ev[A-Za-z0-9_.-]{1,62}$")]
MessageTs = Annotated[str, StringConstraints(pattern=r"^[0-9]{1,12}\.[0-9]{1,9}$")]
Url = Annotated[str, StringConstraints(pattern=r"^https?://\S+$", max_length=2000)]
OrderNo = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]
# strings by the longest Slack sends there (and the columns they may end up in)
ShortText = Annotated[str, StringConstraints(max_length=32)]
OptionValue = Annotated[str, StringConstraints(max_length=150)]
MimeType = Annotated[str, StringConstraints(max_length=200)]
Key = Annotated[str, StringConstraints(max_length=255)]
Name = Annotated[str, StringConstraints(max_length=500)]
InputText = Annotated[str, StringConstraints(max_length=3000)]
CommandText = Annotated[str, StringConstraints(max_length=4000)]
MessageText = Annotated[str, StringConstraints(max_length=40000)]


def _number(value: object) -> object:
    if isinstance(value, str) and value.isascii() and value.isdigit() and len(value) <= 10:
        return int(value)
    raise ValueError("expected a number")


# a row's id, as our buttons carry it ("17"); within PostgreSQL's integer
RowId = Annotated[int, BeforeValidator(_number), Field(ge=1, le=2**31 - 1)]


def _real_date(value: str) -> str:
    date.fromisoformat(value)  # ValueError for 2026-02-30
    return value


DateText = Annotated[
    str, StringConstraints(pattern=r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$"), AfterValidator(_real_date)
]


def parts(separator: str, *, last: bool = False) -> BeforeValidator:
    """A string carrying two values ("12345|17") as a pair, each then typed on its own; split
    at the `last` separator when the first value may contain it."""

    def split(value: object) -> object:
        if not isinstance(value, str) or separator not in value:
            raise ValueError(f"expected two values separated by {separator!r}")
        first, _, second = value.rpartition(separator) if last else value.partition(separator)
        return first, second

    return BeforeValidator(split)


def after_prefix(prefix: str) -> BeforeValidator:
    """What follows `prefix` ("delivery_enabling:17" -> "17")."""

    def strip(value: object) -> object:
        if not isinstance(value, str) or not value.startswith(prefix):
            raise ValueError(f"expected {prefix!r} and a value")
        return value.removeprefix(prefix)

    return BeforeValidator(strip)


class User(Payload):
    id: UserId


# -- slash commands --------------------------------------------------------------------------
class SlashCommand(Payload):
    command: str
    user_id: UserId
    text: CommandText = ""
    response_url: Url | None = None
    trigger_id: str | None = None


# -- clicks (block_actions) ------------------------------------------------------------------
class Action(Payload):
    action_id: str


A = TypeVar("A", bound=Action)


class Click(Payload, Generic[A]):
    """Who clicked, and the element they used (Slack sends one action per block_actions)."""

    type: Literal["block_actions"]
    user: User
    actions: Annotated[list[A], Field(min_length=1)]
    response_url: Url | None = None
    trigger_id: str | None = None

    @property
    def action(self) -> A:
        return self.actions[0]


class OpeningClick(Click[A], Generic[A]):
    """A click that opens a modal: it needs Slack's trigger_id (valid for 3 seconds)."""

    trigger_id: str


class ReplyTo(Payload):
    """Where a click or command can be answered, read leniently to answer a malformed one."""

    response_url: Url | None = None


# -- modals (view_submission) ----------------------------------------------------------------
class Option(Payload):
    value: OptionValue


_DECIMAL = re.compile(r"-?[0-9][0-9,]{0,30}(\.[0-9]{1,15})?")


class Element(Payload):
    """An input element's state in a submitted modal."""

    type: str | None = None
    value: InputText | None = None
    selected_date: DateText | None = None
    selected_option: Option | None = None
    selected_options: list[Option] | None = None

    @model_validator(mode="after")
    def _a_number_is_a_number(self) -> Element:
        """Slack checks what is typed in a number_input: anything else did not come from it."""
        if self.type == "number_input" and self.value and not _DECIMAL.fullmatch(self.value):
            raise ValueError("a number_input value that is not a number")
        return self


class Block(Payload):
    type: str | None = None
    block_id: str | None = None


class View(Payload):
    id: str
    callback_id: str
    blocks: list[Block] = []


class State(Payload):
    """Every input's state, by block id and action id."""

    values: dict[Key, dict[Key, Element]]

    def as_dicts(self) -> dict[str, dict[str, dict[str, Any]]]:
        return {
            block: {
                action: element.model_dump(exclude_none=True) for action, element in inputs.items()
            }
            for block, inputs in self.values.items()
        }


V = TypeVar("V", bound=View)


class Submission(Payload, Generic[V]):
    type: Literal["view_submission"]
    user: User
    view: V


# -- events (event_callback) -----------------------------------------------------------------
class Event(Payload):
    type: str


class SharedFile(Payload):
    """A file as Slack describes it; what the bot does not read is kept as it came."""

    model_config = ConfigDict(extra="allow", frozen=True)

    id: FileId
    name: Name | None = None
    title: Name | None = None
    size: Annotated[int, Field(ge=0, le=2**53)] | None = None
    mimetype: MimeType | None = None
    url_private: Url | None = None
    url_private_download: Url | None = None

    def info(self) -> dict[str, Any]:
        return self.model_dump(exclude_none=True)


class Typed(Event):
    """Something a person typed in the bot's DM."""

    user: UserId
    text: MessageText = ""
    ts: MessageTs


class Dropped(Event):
    """Files a person dropped in the bot's DM."""

    user: UserId
    files: Annotated[list[SharedFile], Field(min_length=1)]


class Ignored(Event):
    """A message the bot does not answer: from a bot, outside its DM, edited, deleted, …"""


def _message_kind(value: Any) -> str | None:
    if not isinstance(value, dict):
        return None
    subtype = value.get("subtype")
    if value.get("bot_id") or value.get("channel_type") != "im":
        return "ignored"
    if subtype is None:
        return "typed"
    return "dropped" if subtype == "file_share" else "ignored"


DmMessage = Annotated[
    Annotated[Typed, Tag("typed")]
    | Annotated[Dropped, Tag("dropped")]
    | Annotated[Ignored, Tag("ignored")],
    Discriminator(_message_kind),
]


class FileShared(Event):
    file_id: FileId
    user_id: UserId
    channel_id: ShortText = ""


class HomeOpened(Event):
    user: UserId
    tab: ShortText = "home"


E = TypeVar("E")


class EventCallback(Payload, Generic[E]):
    type: Literal["event_callback"]
    event_id: EventId
    event: E


def summary(error: ValidationError, *, limit: int = 3) -> str:
    """The first few problems on one line: `actions.0.value: Value error, expected a number`."""
    problems = error.errors(include_url=False, include_input=False)
    lines = [
        f"{'.'.join(str(part)[:40] for part in problem['loc'])}: {problem['msg']}"
        for problem in problems[:limit]
    ]
    more = f" (and {len(problems) - limit} more)" if len(problems) > limit else ""
    return re.sub(r"[\x00-\x1f\x7f]", "?", "; ".join(lines) + more)
