"""What every feature stands on, with no Slack and no feature in it: the clock, settings
(checked once at start), dates and durations, working hours, ids of Slack surfaces, the typed
errors people read, the audit trail, proof kinds, retry backoff, the content-addressed file
store and log masking; telemetry/: structured logs and metrics."""
