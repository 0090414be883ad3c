"""Outreach tasks for community staff, one of employment's aggregates: its routes, payloads,
decisions, store and use cases."""
