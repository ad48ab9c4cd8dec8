"""Supervising an order from delivery to completion: what the customer and the seller are told
(notices, and the customer's delivery message), reminders on the cadence in the customer's
working hours, escalation to the sellers and automatic acceptance, appeals and the operations
case, operations' decisions, the daily digest and housekeeping."""
