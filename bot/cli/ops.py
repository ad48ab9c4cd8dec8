"""The operator's commands: `deliverybot outbox status|list --failed|retry ID|discard ID`,
`deliverybot jobs status|list --failed|retry ID` and `deliverybot products list`.

Commands import what they run inside themselves (start-up cost, see bot.cli.main)."""

from __future__ import annotations

import json

import typer

from bot.cli.orders import print_wide, products_cli, session_scope
from bot.cli.setup import fail

outbox_cli = typer.Typer(no_args_is_help=True, help="Slack messages waiting, sent and failed.")
jobs_cli = typer.Typer(no_args_is_help=True, help="Scheduled work: reminders, escalations, …")


def _now():
    from bot.core.clock import SystemClock

    return SystemClock().now()


def _ago(now, then) -> str:
    if then is None:
        return "-"
    seconds = int((now - then).total_seconds())
    if seconds < 120:
        return f"{seconds} s"
    if seconds < 7200:
        return f"{seconds // 60} min"
    return f"{seconds // 3600} h"


@outbox_cli.command("status")
def outbox_status(as_json: bool = typer.Option(False, "--json", help="As JSON.")) -> None:
    """How many messages are waiting, sent and failed, and how long the oldest has waited."""
    from bot.ops.queue import outbox_summary

    now = _now()
    with session_scope(readonly=True) as session:
        summary = outbox_summary(session, now)
    age = summary.oldest_age(now)
    if as_json:
        data = {
            "by_status": summary.by_status,
            "due": summary.due,
            "oldest_age_seconds": age.total_seconds() if age else None,
        }
        typer.echo(json.dumps(data, indent=2))
        return
    counts = ", ".join(f"{n} {s}" for s, n in sorted(summary.by_status.items())) or "empty"
    typer.echo(f"Outbox: {counts}.")
    typer.echo(
        f"Due now: {summary.due}"
        + (f"; the oldest has waited {_ago(now, summary.oldest_due_at)}." if age else ".")
    )
    failed = summary.by_status.get("failed", 0)
    if failed:
        typer.echo(
            f"{failed} failed: `deliverybot outbox list --failed` shows them; "
            "`deliverybot outbox retry ID` sends one again."
        )


@outbox_cli.command("list")
def outbox_list(
    failed: bool = typer.Option(False, "--failed", help="The messages that failed for good."),
    as_json: bool = typer.Option(False, "--json", help="As JSON."),
) -> None:
    """The messages that failed for good (--failed), newest first."""
    from bot.ops.queue import failed_messages

    if not failed:
        raise fail("Say what to list: `deliverybot outbox list --failed`.")
    with session_scope(readonly=True) as session:
        rows = [
            {
                "id": m.id,
                "purpose": m.meta.get("purpose") or m.method,
                "method": m.method,
                "order_id": m.order_id,
                "attempts": m.attempts,
                "error": m.last_error,
                "created_at": m.created_at.isoformat(),
            }
            for m in failed_messages(session)
        ]
    _print_rows(rows, as_json, empty="No failed messages.")


@outbox_cli.command("retry")
def outbox_retry(message_id: int = typer.Argument(..., help="The message's id.")) -> None:
    """Send a failed message again (once), from the next pass of the dispatcher."""
    from bot.ops.queue import NotRetryable, retry_message

    with session_scope() as session:
        try:
            message = retry_message(session, message_id, _now())
        except NotRetryable as error:
            raise fail(str(error)) from None
        session.commit()
    typer.echo(
        f"Message {message.id} is queued again; a running serve or worker sends it "
        "(or run `deliverybot worker --once`)."
    )


@outbox_cli.command("discard")
def outbox_discard(message_id: int = typer.Argument(..., help="The message's id.")) -> None:
    """Set a failed message aside for good (it is kept, never sent)."""
    from bot.ops.queue import NotRetryable, discard_message

    with session_scope() as session:
        try:
            discard_message(session, message_id, _now())
        except NotRetryable as error:
            raise fail(str(error)) from None
        session.commit()
    typer.echo(f"Message {message_id} is set aside; it will not be sent.")


@jobs_cli.command("status")
def jobs_status(as_json: bool = typer.Option(False, "--json", help="As JSON.")) -> None:
    """Scheduled jobs by state, how many are due and late, and when a worker last ran."""
    from bot.jobs.heartbeat import is_fresh, last_seen
    from bot.ops.queue import jobs_summary

    now = _now()
    with session_scope(readonly=True) as session:
        summary = jobs_summary(session, now)
        seen = last_seen(session)
    if as_json:
        data = {
            "by_status": summary.by_status,
            "due": summary.due,
            "late": summary.late,
            "worker_seen_at": seen.isoformat() if seen else None,
        }
        typer.echo(json.dumps(data, indent=2))
        return
    counts = ", ".join(f"{n} {s}" for s, n in sorted(summary.by_status.items())) or "none"
    typer.echo(f"Jobs: {counts}. Due now: {summary.due}; late: {summary.late}.")
    if seen is None:
        typer.echo("No worker has run yet: start `deliverybot serve` or `deliverybot worker`.")
    else:
        fresh = "" if is_fresh(seen, now) else " — is it running?"
        typer.echo(f"A worker last finished a pass {_ago(now, seen)} ago{fresh}")
    if summary.by_status.get("failed"):
        typer.echo("`deliverybot jobs list --failed` shows the failed ones.")


@jobs_cli.command("list")
def jobs_list(
    failed: bool = typer.Option(False, "--failed", help="The jobs that failed for good."),
    as_json: bool = typer.Option(False, "--json", help="As JSON."),
) -> None:
    """The jobs that kept failing until their attempts ran out (--failed), newest first."""
    from bot.ops.queue import failed_jobs

    if not failed:
        raise fail("Say what to list: `deliverybot jobs list --failed`.")
    with session_scope(readonly=True) as session:
        rows = [
            {
                "id": j.id,
                "kind": j.kind,
                "order_id": j.order_id,
                "attempts": j.attempts,
                "error": j.last_error,
                "failed_at": j.done_at.isoformat() if j.done_at else None,
            }
            for j in failed_jobs(session)
        ]
    _print_rows(rows, as_json, empty="No failed jobs.")


@jobs_cli.command("retry")
def jobs_retry(job_id: int = typer.Argument(..., help="The job's id.")) -> None:
    """Run a failed job again, with fresh attempts, at the next pass of a worker."""
    from bot.ops.queue import NotRetryable, retry_job

    with session_scope() as session:
        try:
            retry_job(session, job_id, _now())
        except NotRetryable as error:
            raise fail(str(error)) from None
        session.commit()
    typer.echo(f"Job {job_id} is due again; the next worker pass runs it.")


@products_cli.command("list")
def products_list(as_json: bool = typer.Option(False, "--json", help="As JSON.")) -> None:
    """The products: code, name, delivery days, template fields and required proof."""
    from sqlmodel import col, select

    from storage.models import Product

    with session_scope(readonly=True) as session:
        rows = [
            {
                "code": p.code,
                "name": p.name,
                "delivery_days": p.delivery_days,
                "template_fields": len(p.delivery_template or []),
                "required_proof_kinds": ", ".join(p.required_proof_kinds or []) or "default",
            }
            for p in session.exec(select(Product).order_by(col(Product.code))).all()
        ]
    _print_rows(rows, as_json, empty="No products: `deliverybot products import FILE` adds them.")


def _print_rows(rows: list[dict], as_json: bool, *, empty: str) -> None:
    if as_json:
        typer.echo(json.dumps(rows, indent=2, ensure_ascii=False))
        return
    if not rows:
        typer.echo(empty)
        return
    from rich import box
    from rich.table import Table

    table = Table(box=box.SIMPLE_HEAD)
    for column in rows[0]:
        table.add_column(column.replace("_", " ").capitalize(), overflow="fold")
    for row in rows:
        table.add_row(*("-" if v is None else str(v) for v in row.values()))
    print_wide(table)
