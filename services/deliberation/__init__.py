"""Deliberation: the six-step process on the four consultation platforms, with residents' votes."""
