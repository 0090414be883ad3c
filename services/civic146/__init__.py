"""Shared kit of the Civic146 platform: every service imports it, none copies it.

Modules, in the order a request or an event meets them:
config (settings from the environment), logs (JSON lines), web (Flask app factory, errors,
request ids, health, OpenAPI), auth (JWT bearer, roles, community scope), pii (validation and
masking of personal data), mongo (connection after fork), events (CloudEvents envelope and the
contracts), outbox (atomic state+event writes and the relay), kafka (clients), consumer
(idempotent consumer loop with dead letters), metrics (Prometheus), worker (the worker process).
"""
