"""The weekly operations digest: Monday 08:00 UTC, headline numbers and one chart, once."""

from __future__ import annotations

from datetime import UTC, datetime

from tests.e2e.test_reminders import work
from tests.reporting.crafted import craft
from tests.reporting.test_charts import png_size


def test_operations_get_the_week_in_numbers_and_a_chart_on_monday_morning(box, clock, session):
    craft(session)
    clock.set(datetime(2026, 3, 6, 12, tzinfo=UTC))  # Friday: seeds Monday's digest
    work(box)
    assert [m for m in box.slack.messages_in("COPS") if m.files] == []

    clock.set(datetime(2026, 3, 9, 8, 0, tzinfo=UTC))
    work(box)
    work(box)  # a second pass sends nothing more

    (digest,) = [m for m in box.slack.messages_in("COPS") if m.files]
    assert "*Supervision this week* (to 09 Mar 2026)" in digest.text
    assert "*3* deliveries in the last 7 days · *67%* accepted on the first round" in digest.text
    assert "Waiting longest: order F (awaiting delivery for 66 days)." in digest.text
    (chart,) = digest.files
    assert png_size(box.slack.file_contents[chart["id"]]) == (700, 350)
