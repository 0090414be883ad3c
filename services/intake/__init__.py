"""Intake: the front door of the platform (requests, routing, status, feedback, statistics)."""
