"""A seller chatting in the DM does not set an enabling time by accident, and what they typed
is echoed back short."""

import pytest

from tests.e2e.test_delivery_conversation import draft_of, shown
from tests.factories import make_order


def test_a_chat_reply_is_not_taken_for_a_date(box, seller, session):
    make_order(session, "12345")
    session.commit()
    seller.runs("/deliver 12345")

    seller.says("ok")

    assert "I couldn't read “ok” as a date" in seller.last_dm().text
    assert draft_of(session).enabling_decided is False
    assert "_Not answered yet._" in shown(seller)


def test_a_pasted_page_is_not_sent_back(box, seller, session):
    make_order(session, "12345")
    session.commit()
    seller.runs("/deliver 12345")
    page = "The quick brown fox jumps over the lazy dog.\n" * 200

    seller.says(page)

    said = seller.last_dm().text
    assert "I couldn't read “The quick brown fox jumps over the lazy…” as a date" in said
    assert len(said) < 300
    assert draft_of(session).enabling_decided is False


@pytest.mark.parametrize(
    ("typed", "echoed"),
    [
        ("jan 1", "jan 1"),
        ("  01/02/2026 ", "01/02/2026"),
        ("a" * 40, "a" * 40),
        ("a" * 41, "a" * 39 + "…"),
        ("line one\n\nline two", "line one line two"),
        ("word " * 20, "word word word word word word word word…"),
    ],
)
def test_what_was_typed_is_echoed_short(typed, echoed):
    from bot.delivery.views.replies import echo

    assert echo(typed) == echoed


def test_a_date_with_a_page_pasted_after_it_is_read_and_audited_short(box, seller, session):
    from sqlmodel import select

    from storage.models import AuditEvent

    make_order(session, "12345")
    session.commit()
    seller.runs("/deliver 12345")

    seller.says("2026-01-15" + " " * 60 + "and then a whole page of notes. " * 1200)

    assert draft_of(session).enabling_decided is True
    set_event = session.exec(select(AuditEvent).where(AuditEvent.kind == "enabling_time_set")).one()
    assert set_event.detail["typed"] == "2026-01-15"


def test_a_typed_date_is_parsed_while_no_one_holds_sqlites_write_lock(
    box, seller, session, database_url, monkeypatch
):
    import sqlite3

    from bot.delivery import typed_replies

    if not database_url.startswith("sqlite"):
        pytest.skip("SQLite's one write lock; PostgreSQL locks only the rows it writes")
    make_order(session, "12345")
    session.commit()
    seller.runs("/deliver 12345")
    locked_while_parsing: list[bool] = []
    parse = typed_replies.parse_enabling_time

    def probing_parse(*args, **kwargs):
        other = sqlite3.connect(database_url.removeprefix("sqlite:///"), timeout=0)
        try:
            other.execute("BEGIN IMMEDIATE")
            other.execute("ROLLBACK")
            locked_while_parsing.append(False)
        except sqlite3.OperationalError:
            locked_while_parsing.append(True)
        finally:
            other.close()
        return parse(*args, **kwargs)

    monkeypatch.setattr(typed_replies, "parse_enabling_time", probing_parse)

    seller.says("2026-01-15")

    assert locked_while_parsing == [False]
    assert draft_of(session).enabling_decided is True
