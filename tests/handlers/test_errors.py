"""When something breaks on our side, the person is told what happened and nothing changes."""

from bot.orders import waiting
from handlers.errors import SORRY
from tests.factories import make_order


def test_an_unexpected_failure_tells_the_user_and_changes_nothing(
    box, seller, session, monkeypatch, caplog
):
    make_order(session, "12345")
    session.commit()

    def broken(*args, **kwargs):
        raise RuntimeError("database fell over")

    monkeypatch.setattr(waiting, "waiting_page", broken)

    seller.runs("/deliver")

    assert [r.get("text") for r in seller.responses()] == [SORRY]
    assert "database fell over" in caplog.text  # logged with the traceback for us
    assert "database fell over" not in SORRY
