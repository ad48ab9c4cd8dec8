"""The kinds of proof a seller attaches to a delivery (DOMAIN.md), named once."""

from __future__ import annotations

PROOF_KINDS: dict[str, str] = {
    "sow": "statement of work",
    "acceptance": "acceptance document",
    "validity_screenshot": "licence validity screenshot",
    "deployment_proof": "deployment-scenario proof",
    "other": "other",
}
# what a delivery must include when neither the product nor the settings say otherwise
DEFAULT_REQUIRED_KINDS: tuple[str, ...] = ("sow", "acceptance")


def kind_label(kind: str) -> str:
    """How a kind is named to people ("statement of work"); an unknown kind as it is."""
    return PROOF_KINDS.get(kind, kind)
