"""Referrals of seekers to jobs, one of employment's aggregates: its routes, payloads, decisions,
store and use cases."""
