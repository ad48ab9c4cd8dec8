"""Every action, callback and block id in one place: views, handlers and tests use these."""

from enum import StrEnum


class ActionId(StrEnum):
    DELIVER = "deliver_order"
    FIND_ORDER = "find_order"
    OLDER_ORDERS = "orders_older"  # the next page of /deliver's list
    # the seller's delivery conversation
    ENABLING_DATE = "delivery_enabling_date"
    ENABLING_NOT_STATED = "delivery_enabling_not_stated"
    ENABLING_USE = "delivery_enabling_use"  # the other reading of an ambiguous date
    FILE_KIND = "delivery_file_kind"
    FILE_REMOVE = "delivery_file_remove"
    FILE_ATTACH = "delivery_file_attach"  # a file dropped with no open delivery
    OPEN_TEMPLATE = "delivery_open_template"
    CHANGE_STEP = "delivery_change_step"  # show a done step's inputs again: "17|enabling"
    SUBMIT = "delivery_submit"
    TAKE_OVER = "delivery_take_over"
    CANCEL_DRAFT = "delivery_cancel"
    # silent customers and appeals
    REMIND_AGAIN = "reminder_remind_again"
    INITIATE_APPEAL = "appeal_initiate"
    CUSTOMER_APPEAL = "appeal_customer"
    OPS_COMPLETE = "appeal_ops_complete"
    OPS_RETURN = "appeal_ops_return"
    OPS_REJECT = "appeal_ops_reject"
    EVIDENCE_PACK = "appeal_evidence_pack"
    # the customer's acceptance
    ACCEPT = "customer_accept"
    REQUEST_CHANGES = "customer_request_changes"
    OPEN_IN_BROWSER = "customer_open_in_browser"  # a link button to the accept page


class DeliveryStep(StrEnum):
    """The steps of the delivery message, in the order it shows them."""

    ENABLING = "enabling"
    FILES = "files"
    TEMPLATE = "template"


class CallbackId(StrEnum):
    FIND_ORDER = "find_order_modal"
    TEMPLATE = "delivery_template_modal"
    SELLER_APPEAL = "appeal_seller_modal"
    CUSTOMER_APPEAL = "appeal_customer_modal"
    OPS_DECISION = "appeal_ops_decision_modal"
    REQUEST_CHANGES = "customer_request_changes_modal"


class BlockId(StrEnum):
    FIND_ORDER_INPUT = "find_order_input"
    ENABLING = "delivery_enabling"
    TEMPLATE_FIELD = "template_field:"  # + the template field's id (one input block each)
    APPEAL_REASON = "appeal_reason"
    APPEAL_DETAILS = "appeal_details"
    APPEAL_PROOF = "appeal_proof"
    APPEAL_FILES = "appeal_files"
    APPEAL_LETTER = "appeal_letter"
    DECISION_REASON = "appeal_decision_reason"
    CHANGES_REASON = "customer_changes_reason"
    CUSTOMER_ACTIONS = "customer_actions"


COMMAND = "/deliver"
