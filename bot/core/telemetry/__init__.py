"""What the bot tells its operators as it runs: structured logs (one JSON object a line, with
the request, user, order and job they are about; secrets masked) and Prometheus metrics
(counters and histograms recorded where things happen)."""
