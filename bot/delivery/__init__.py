"""The seller's delivery conversation, from `/deliver 12345` to a submitted delivery: the draft
(drafts: start, resume, take over, cancel, submit), its steps (enabling time, template answers),
proof files (recording, classifying, fetching from Slack), typed replies in the DM, the one
delivery message updated in place (dm), and the views. Exposes drafts.submit_delivery to the
handlers."""
