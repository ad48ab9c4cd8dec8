"""The seller's App Home: the page model and its queries (page), its Block Kit (views), and
republishing it when one of their orders changes."""
