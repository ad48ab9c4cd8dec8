"""deliverybot: supervises the delivery of software licences over Slack."""
