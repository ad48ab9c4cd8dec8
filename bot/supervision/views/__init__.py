"""Block Kit of supervision: the customer's delivery message, reminders and escalations, the
appeal forms and the operations case."""
