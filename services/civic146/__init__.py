"""Shared kit of the Civic146 platform: every service imports it, none copies it.

Modules, in the order a request or an event meets them:
config (settings from the environment), logs (JSON lines), web (Flask app factory, errors,
request ids, health, OpenAPI), errors (domain errors and their HTTP status), actor (who acts,
their roles and pseudonym: pure, for the domain), auth (JWT bearer, community scope), pii
(validation and masking of personal data), reference (communities and compounds), clock (wall
time, shiftable in tests), mongo (connection after fork), events (CloudEvents envelope and the
cross-service contracts), change (what a domain decision changes and the events it records: pure,
for the domain), outbox (atomic state+event writes with their sequence, and the one relay per
service), kafka (clients), consumer (idempotent consumer loop with dead letters), metrics
(Prometheus), worker (the worker process), contracts (schemas and AsyncAPI).
"""
