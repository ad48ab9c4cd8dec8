"""Block Kit: pure `build_*` functions return blocks; `parse_*` functions read view state."""
