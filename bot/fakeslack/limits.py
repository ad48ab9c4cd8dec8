"""The Block Kit limits real Slack enforces, so the fake refuses what Slack would refuse.

Numbers from the Block Kit reference (docs.slack.dev/reference/block-kit/…):
- blocks: at most 50 in a message, 100 in a modal or Home tab (…/blocks; …/views/modal-views);
  block_id and action_id at most 255 characters.
- section: text 3,000; fields at most 10, each 2,000 (…/blocks/section-block).
- header: text 150 (…/blocks/header-block). context: at most 10 elements; actions: 25.
- input: label 2,000, hint 2,000 (…/blocks/input-block).
- button: text 75, value 2,000, url 3,000 (…/block-elements/button-element).
- confirmation dialog: title 100, text 300, confirm and deny 30
  (…/composition-objects/confirmation-dialog-object).
- option: text 75, value 150, description 75 (…/composition-objects/option-object);
  checkboxes and radio buttons at most 10 options; selects at most 100 options or groups
  (…/block-elements/checkboxes-element, …/select-menu-element).
- placeholder: 150. modal: title, submit and close 24; private_metadata 3,000; callback_id 255
  (…/reference/views/modal-views).
"""

from __future__ import annotations

from typing import Any

MAX_BLOCKS = {"message": 50, "modal": 100, "home": 100}
FEW_OPTIONS = ("checkboxes", "radio_buttons")
SELECTS = ("static_select", "multi_static_select")


def message_problems(blocks: Any) -> list[str]:
    """What real Slack would answer `invalid_blocks` for in a message's blocks."""
    return _blocks_problems(blocks, limit=MAX_BLOCKS["message"], where="/blocks")


def view_problems(view: Any) -> list[str]:
    """What real Slack would answer `invalid_arguments` for in a modal or Home view."""
    if not isinstance(view, dict):
        return ["view must be an object [/view]"]
    surface = "home" if view.get("type") == "home" else "modal"
    problems = _blocks_problems(view.get("blocks"), limit=MAX_BLOCKS[surface], where="/view/blocks")
    if surface == "modal":
        for key in ("title", "submit", "close"):
            _text(problems, view.get(key), 24, f"/view/{key}")
    _length(problems, view.get("private_metadata"), 3000, "/view/private_metadata")
    _length(problems, view.get("callback_id"), 255, "/view/callback_id")
    return problems


def _blocks_problems(blocks: Any, *, limit: int, where: str) -> list[str]:
    problems: list[str] = []
    if blocks is None:
        return problems
    if not isinstance(blocks, list):
        return [f"blocks must be a list [{where}]"]
    if len(blocks) > limit:
        problems.append(f"no more than {limit} items allowed [{where}]")
    for index, block in enumerate(blocks):
        _block(problems, block, f"{where}/{index}")
    return problems


def _block(problems: list[str], block: Any, at: str) -> None:
    if not isinstance(block, dict):
        problems.append(f"a block must be an object [{at}]")
        return
    kind = block.get("type")
    _length(problems, block.get("block_id"), 255, f"{at}/block_id")
    if kind == "section":
        if "text" not in block and "fields" not in block:
            problems.append(f"a section needs text or fields [{at}]")
        _text(problems, block.get("text"), 3000, f"{at}/text")
        fields = block.get("fields") or []
        if len(fields) > 10:
            problems.append(f"no more than 10 items allowed [{at}/fields]")
        for index, item in enumerate(fields):
            _text(problems, item, 2000, f"{at}/fields/{index}")
        if block.get("accessory"):
            _element(problems, block["accessory"], f"{at}/accessory")
    elif kind == "header":
        _text(problems, block.get("text"), 150, f"{at}/text")
    elif kind in ("context", "actions"):
        elements = block.get("elements") or []
        most = 10 if kind == "context" else 25
        if len(elements) > most:
            problems.append(f"no more than {most} items allowed [{at}/elements]")
        for index, element in enumerate(elements):
            _element(problems, element, f"{at}/elements/{index}")
    elif kind == "input":
        _text(problems, block.get("label"), 2000, f"{at}/label")
        _text(problems, block.get("hint"), 2000, f"{at}/hint")
        _element(problems, block.get("element"), f"{at}/element")


def _element(problems: list[str], element: Any, at: str) -> None:
    if not isinstance(element, dict):
        return
    kind = element.get("type")
    _length(problems, element.get("action_id"), 255, f"{at}/action_id")
    _text(problems, element.get("placeholder"), 150, f"{at}/placeholder")
    if kind == "button":
        _text(problems, element.get("text"), 75, f"{at}/text")
        _length(problems, element.get("value"), 2000, f"{at}/value")
        _length(problems, element.get("url"), 3000, f"{at}/url")
    if isinstance(element.get("confirm"), dict):
        _confirm(problems, element["confirm"], f"{at}/confirm")
    options = element.get("options")
    if options is not None:
        most = 10 if kind in FEW_OPTIONS else 100
        if len(options) > most:
            problems.append(f"no more than {most} items allowed [{at}/options]")
        for index, option in enumerate(options):
            _option(problems, option, f"{at}/options/{index}")
        offered = [(o.get("text", {}).get("text"), o.get("value")) for o in options]
        chosen = element.get("initial_options") or (
            [element["initial_option"]] if element.get("initial_option") else []
        )
        for option in chosen:
            if (option.get("text", {}).get("text"), option.get("value")) not in offered:
                problems.append(f"initial options must be among the options [{at}]")
    groups = element.get("option_groups") or []
    if len(groups) > 100:
        problems.append(f"no more than 100 items allowed [{at}/option_groups]")
    for number, group in enumerate(groups):
        for index, option in enumerate(group.get("options") or []):
            _option(problems, option, f"{at}/option_groups/{number}/options/{index}")


def _confirm(problems: list[str], confirm: dict[str, Any], at: str) -> None:
    _text(problems, confirm.get("title"), 100, f"{at}/title")
    _text(problems, confirm.get("text"), 300, f"{at}/text")
    _text(problems, confirm.get("confirm"), 30, f"{at}/confirm")
    _text(problems, confirm.get("deny"), 30, f"{at}/deny")


def _option(problems: list[str], option: Any, at: str) -> None:
    if not isinstance(option, dict):
        problems.append(f"an option must be an object [{at}]")
        return
    _text(problems, option.get("text"), 75, f"{at}/text")
    _text(problems, option.get("description"), 75, f"{at}/description")
    _length(problems, option.get("value"), 150, f"{at}/value")


def _text(problems: list[str], obj: Any, most: int, at: str) -> None:
    if isinstance(obj, dict):
        _length(problems, obj.get("text"), most, f"{at}/text")


def _length(problems: list[str], value: Any, most: int, at: str) -> None:
    if isinstance(value, str) and len(value) > most:
        problems.append(f"must be less than {most + 1} characters [{at}]")
