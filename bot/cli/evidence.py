"""`deliverybot evidence ORDER_NO [-o FILE]`, `deliverybot evidence verify FILE` and
`deliverybot evidence keygen`: one command, because `verify` and `keygen` read as verbs where an
order number would stand (an order literally named so is taken with `--order`).

Commands import what they run inside themselves (start-up cost, see bot.cli.main)."""

from __future__ import annotations

from pathlib import Path

import typer

from bot.cli.setup import settings

VERBS = ("verify", "keygen")


def evidence(
    target: str = typer.Argument(
        "", help="ORDER_NO to write its pack; or `verify FILE`; or `keygen`.", show_default=False
    ),
    file: Path | None = typer.Argument(None, help="The pack to verify.", show_default=False),
    output: Path | None = typer.Option(
        None, "-o", "--output", help="Where to write the pack (default: evidence-ORDER_NO.zip)."
    ),
    order: str = typer.Option("", "--order", help="The order number, when it is 'verify'."),
    public_key: str = typer.Option(
        "",
        "--public-key",
        help="The server's public key to trust (default: DELIVERYBOT_EVIDENCE_PUBLIC_KEY, or "
        "the one of DELIVERYBOT_EVIDENCE_KEY).",
    ),
) -> None:
    """Write an order's signed evidence pack (a ZIP), or check one: `evidence verify FILE`
    prints one line per file that is wrong and exits 1 if any is."""
    if target == "verify" and not order:
        if file is None:
            typer.echo("Which pack? `deliverybot evidence verify FILE`", err=True)
            raise typer.Exit(2)
        raise typer.Exit(_verify(file, public_key))
    if target == "keygen" and not order:
        _keygen()
        return
    order_no = order or target
    if not order_no:
        typer.echo("Which order? `deliverybot evidence ORDER_NO [-o FILE]`", err=True)
        raise typer.Exit(2)
    _write(order_no, output)


def _write(order_no: str, output: Path | None) -> None:
    from bot.cli.orders import session_scope  # start-up cost (bot.cli.main)
    from bot.core.errors import DeliverybotError
    from bot.core.filestore import store_for
    from bot.evidence.pack import build_pack
    from bot.evidence.signing import key_id, private_key

    config = settings()
    try:
        key = private_key(config.evidence_key)
        with session_scope(readonly=True) as session:
            pack = build_pack(session, order_no, store=store_for(config), key=key)
    except DeliverybotError as error:
        typer.echo(str(error), err=True)
        raise typer.Exit(2) from None
    path = output or Path(pack.name)
    path.write_bytes(pack.content)
    typer.echo(
        f"Wrote {path} ({len(pack.content):,} bytes), signed with key {key_id(key.public_key())}."
    )
    for missing in pack.missing:
        typer.echo(f"Not included (not in the file store): {missing}", err=True)


def _verify(path: Path, public_key_text: str) -> int:
    from bot.evidence.signing import EvidenceKeyError, key_id, private_key, public_key
    from bot.evidence.verify import verify_pack

    config = settings()
    try:
        if public_key_text or config.evidence_public_key:
            trusted = public_key(public_key_text or config.evidence_public_key)
        elif config.evidence_key:
            trusted = private_key(config.evidence_key).public_key()
        else:
            trusted = None
    except EvidenceKeyError as error:
        typer.echo(str(error), err=True)
        return 2
    try:
        content = path.read_bytes()
    except OSError as error:
        typer.echo(f"Cannot read {path}: {error.strerror}", err=True)
        return 2
    verdict = verify_pack(content, trusted)
    for problem in verdict.problems:
        typer.echo(problem)
    if not verdict.ok:
        typer.echo(f"{path}: NOT intact ({len(verdict.problems)} problem(s)).", err=True)
        return 1
    if trusted is None:
        typer.echo(
            f"{path}: all {verdict.checked} files match the manifest, signed by key "
            f"{verdict.key_id}; no trusted key was given, so who signed it is not checked "
            "(pass --public-key).",
        )
        return 1
    typer.echo(
        f"{path}: intact. {verdict.checked} files match the manifest, signed by the trusted "
        f"key {key_id(trusted)}."
    )
    return 0


def _keygen() -> None:
    from bot.evidence.signing import key_id, new_private_key, public_key

    private, public = new_private_key()
    typer.echo(f"DELIVERYBOT_EVIDENCE_KEY={private}")
    typer.echo(f"DELIVERYBOT_EVIDENCE_PUBLIC_KEY={public}")
    typer.echo(
        f"# key {key_id(public_key(public))}: keep the first line secret (the server's "
        "environment); publish the second so anyone can verify packs."
    )
