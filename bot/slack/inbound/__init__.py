"""What Slack sends us, checked at the boundary: a request to /slack/events signed and shaped
the way Bolt expects (requests), the typed payloads listeners get (payloads), and each Events
API event handled once whatever Slack retries (once)."""
