"""Block Kit of the delivery conversation: the step messages, replies in the DM, and the
template modal."""
