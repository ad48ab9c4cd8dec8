"""The offline demo: the whole flow against the fake Slack in a temporary database, printed as
what each person sees (story), in a sandbox that wires the real app to the fake (sandbox)."""
