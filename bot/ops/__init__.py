"""Running the bot in production: is it alive and ready (readiness: database, Slack token,
worker heartbeat, outbox age), the token verified in the background, metrics from the
database at scrape time, the operator's queries over the outbox and the scheduled jobs, and
`deliverybot check`. Wiring (bot.web, bot.server, bot.cli) uses it; features do not."""
