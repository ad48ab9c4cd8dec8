"""Scheduled work as rows (ScheduledJob): scheduling and cancelling jobs in the caller's
transaction, and the Scheduler that claims due jobs and runs them with the handlers it is given
(the registry is built in bot.bootstrap)."""
