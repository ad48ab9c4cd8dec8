"""`deliverybot products import` and `deliverybot orders import/list/show`.

Commands import what they run inside themselves (start-up cost, see bot.cli.main)."""

from __future__ import annotations

import csv
import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from pathlib import Path

import typer
from rich import box
from rich.console import Console
from rich.table import Table

from bot.cli.setup import open_database, settings
from storage.states import SupervisionState

products_cli = typer.Typer(no_args_is_help=True, help="Products and their delivery templates.")
orders_cli = typer.Typer(no_args_is_help=True, help="Orders: import from files, list, show.")

out = Console(soft_wrap=True)
err = Console(stderr=True, soft_wrap=True)
MAX_ERRORS_SHOWN = 100  # lines of errors or state changes printed
PROGRESS_FROM = 5000  # rows; smaller files import before a bar would be drawn


@contextmanager
def session_scope(*, readonly: bool = False) -> Iterator:
    """A session on the configured database. Commands that write (imports) migrate it first;
    those that only read say which command to run when it is not there yet."""
    from storage.engine import make_session_factory  # start-up cost (bot.cli.main)

    engine = open_database(settings(), migrate=not readonly)
    try:
        with make_session_factory(engine, readonly=readonly)() as session:
            yield session
    finally:
        engine.dispose()


def print_wide(renderable) -> None:
    """On a terminal, as wide as it is; piped, one line per row however long (a script or
    `grep` reads it), instead of wrapping at 80 columns."""
    if not out.is_terminal:
        out.width = 100_000
    out.print(renderable)


def _file_error(error: Exception) -> typer.Exit:
    # plain text: a YAML error quotes the file, whose brackets are not console markup
    err.print(f"Cannot import: {error}", style="red", highlight=False, markup=False)
    return typer.Exit(2)


@products_cli.command("import")
def products_import(
    file: Path = typer.Argument(..., exists=True, dir_okay=False, help="A JSON or YAML file."),
) -> None:
    """Create or update products (by code) with their delivery templates."""
    from bot.core.clock import SystemClock
    from bot.orders.imports.files import ImportFileError
    from bot.orders.imports.products import import_products, read_products, validate_products

    try:
        rows, errors = validate_products(read_products(file))
    except (ImportFileError, UnicodeDecodeError) as error:
        raise _file_error(error) from None
    if errors:
        for line in errors:
            err.print(line, highlight=False, markup=False)
        err.print(f"Nothing imported: {len(errors)} problem(s) in {file.name}.")
        raise typer.Exit(1)
    with session_scope() as session:
        report = import_products(session, rows, now=SystemClock().now())
        session.commit()
    out.print(
        f"Products: {len(report.created)} created, {len(report.updated)} updated, "
        f"{len(report.unchanged)} unchanged."
    )


@orders_cli.command("import")
def orders_import(
    file: Path = typer.Argument(..., exists=True, dir_okay=False, help="A CSV or JSON file."),
    skip_invalid: bool = typer.Option(
        False, "--skip-invalid", help="Import the valid rows and list the invalid ones."
    ),
) -> None:
    """Create or update orders (by order_no). Every row is checked before anything is written."""
    from sqlmodel import select

    from bot.core.clock import SystemClock
    from bot.orders.imports import staging
    from bot.orders.imports.files import ImportFileError, stream_records
    from bot.orders.imports.merge import Totals, analyze, merge
    from storage.models import Product

    try:
        records, ignored = stream_records(file)
    except ImportFileError as error:
        raise _file_error(error) from None
    if ignored:
        err.print(f"Ignoring unknown column(s): {', '.join(ignored)}", highlight=False)
    now = SystemClock().now()
    with session_scope() as session:
        product_ids = dict(session.exec(select(Product.code, Product.id)).all())
        try:
            with _status(f"Checking {file.name}…"):  # the whole file, before any order is written
                staged = staging.stage(session, records, product_ids=product_ids, now=now)
        except ImportFileError as error:  # found part way through the file
            raise _file_error(error) from None
        if staged.errors:
            _print_errors(staged.errors)
            if not skip_invalid:
                err.print(
                    f"[red]Nothing imported:[/] {staged.bad_rows} of {staged.records} "
                    "rows are invalid. Fix them, or use --skip-invalid to import the others."
                )
                raise typer.Exit(1)
        totals = Totals()
        with _progress(staged.rows) as advance:
            for merged in merge(session.connection(), now=now):
                totals.add(merged)
                if advance:
                    advance(merged.rows)
            session.commit()
        analyze(session)
    skipped = staged.bad_rows
    out.print(
        f"Orders: {totals.created} created, {totals.updated} updated, "
        f"{totals.unchanged} unchanged" + (f", {skipped} invalid skipped." if skipped else ".")
    )
    for order_no, before, after in totals.state_changes[:MAX_ERRORS_SHOWN]:
        out.print(f"  order {order_no}: {before} -> {after}", highlight=False)
    more = len(totals.state_changes) + totals.more_state_changes - MAX_ERRORS_SHOWN
    if more > 0:
        out.print(f"  … and {more} more state changes.")


def _print_errors(errors) -> None:
    for error in errors[:MAX_ERRORS_SHOWN]:
        err.print(str(error), highlight=False, markup=False)
    if len(errors) > MAX_ERRORS_SHOWN:
        err.print(f"… and {len(errors) - MAX_ERRORS_SHOWN} more problem(s).")


def _status(message: str):
    """A spinner while a large file is read or checked (nothing when not on a terminal)."""
    return err.status(message) if err.is_terminal else nullcontext()


@contextmanager
def _progress(total: int):
    """The rows written so far. Until the first range is written, a pulsing bar: a large
    re-import first compares every row with its stored order, which takes a while."""
    if total < PROGRESS_FROM or not err.is_terminal:
        yield None
        return
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
    )

    columns = (
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
    )
    with Progress(*columns, console=err, transient=True) as progress:
        task = progress.add_task("Comparing with the stored orders", total=None)

        def advance(done: int) -> None:
            progress.update(task, description="Importing", total=total, advance=done, refresh=True)

        yield advance


@orders_cli.command("list")
def orders_list(
    state: list[SupervisionState] = typer.Option(
        None, "--state", help="Only in this state (repeatable)."
    ),
    seller: str = typer.Option(None, "--seller", help="Only sold by this Slack user id or e-mail."),
    as_json: bool = typer.Option(False, "--json", help="A JSON list (see `orders show --json`)."),
    as_csv: bool = typer.Option(False, "--csv", help="CSV, one line per order."),
) -> None:
    """The orders, newest placement first."""
    from bot.orders.listing import CSV_COLUMNS, csv_row, find_orders

    if as_json and as_csv:
        err.print("Choose one of --json and --csv.")
        raise typer.Exit(2)
    with session_scope(readonly=True) as session:
        orders = find_orders(session, states=state, seller=seller)
    if as_json:
        typer.echo(json.dumps(orders, indent=2, ensure_ascii=False))
    elif as_csv:
        writer = csv.DictWriter(sys.stdout, fieldnames=CSV_COLUMNS, lineterminator="\n")
        writer.writeheader()
        writer.writerows(csv_row(order) for order in orders)
    else:  # piped: one line per order, however wide, instead of wrapping at 80 columns
        print_wide(_table(orders))


def _table(orders: list[dict]) -> Table | str:
    if not orders:
        return "No orders match."
    table = Table(title=f"{len(orders)} order(s)", box=box.SIMPLE_HEAD)
    for column in ("Order", "Product", "Amount", "Status", "State", "Placed (UTC)", "Sellers"):
        table.add_column(column, justify="right" if column == "Amount" else "left", overflow="fold")
    for order in orders:
        table.add_row(
            order["order_no"],
            order["product_code"],
            f"{order['amount']} {order['currency']}",
            order["status"],
            order["state"],
            order["placed_at"][:16].replace("T", " "),
            ", ".join(order["sellers"]),
        )
    return table


@orders_cli.command("show")
def orders_show(
    order_no: str = typer.Argument(..., help="The order number."),
    as_json: bool = typer.Option(False, "--json", help="The order as JSON, with its audit trail."),
) -> None:
    """One order: what was sold, to whom, its supervision state, validity and audit trail."""
    from bot.orders.listing import close_match
    from bot.orders.queries import get_order, order_json

    with session_scope(readonly=True) as session:
        order = get_order(session, order_no)
        if order is None:
            suggestion = close_match(session, order_no)
            hint = f" Did you mean {suggestion}?" if suggestion else ""
            err.print(
                f"No order {order_no.strip()}.{hint} `deliverybot orders list` shows them all.",
                highlight=False,
            )
            raise typer.Exit(1)
        data = order_json(session, order)
    if as_json:
        typer.echo(json.dumps(data, indent=2, ensure_ascii=False))
        return
    out.print(_details(data))
    out.print(_events(data["events"]))


def _details(order: dict) -> Table:
    customer = order["customer"]
    who = " · ".join(
        v
        for v in (customer["name"], customer["user_id"], customer["email"], customer["channel"])
        if v
    )
    table = Table.grid(padding=(0, 2))
    table.title = f"Order {order['order_no']}"
    lines = [
        ("Product", f"{order['product_name']} ({order['product_code']})"),
        ("Amount", f"{order['amount']} {order['currency']}"),
        ("Status", order["status"]),
        ("State", order["state"]),
        ("Placed", order["placed_at"]),
        ("Duration", order["duration"]),
        ("Sellers", ", ".join(order["sellers"])),
        ("Customer", who or "-"),
        ("Renewal of", order["renewal_of"]),
        ("Enabling time", order["enabling_time"]),
        ("Accepted", order["accepted_at"]),
        (
            "Valid",
            f"{order['validity_start']} – {order['validity_end']}"
            if order["validity_start"]
            else None,
        ),
    ]
    for label, value in lines:
        if value:
            table.add_row(f"[bold]{label}[/]", str(value))
    return table


def _events(events: list[dict]) -> Table:
    table = Table(title="Audit trail")
    for column in ("At (UTC)", "Who", "What", "Detail"):
        table.add_column(column)
    for event in events:
        table.add_row(
            event["at"][:19].replace("T", " "),
            event["actor"],
            event["kind"],
            json.dumps(event["detail"], ensure_ascii=False),
        )
    return table
