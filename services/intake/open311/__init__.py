"""Open311 GeoReport v2 on intake (https://wiki.open311.org/GeoReport_v2), for the reporting
platforms residents already use elsewhere: the service list and definitions come from the category
catalogue and the communities register, a posted request is submitted through the same action as
`POST /v1/requests` (same validation, same events, same masking), and its status is read from
intake's status machine. Responses are XML or JSON by the resource's extension; errors are the
spec's `errors` list with the spec's HTTP codes (403 api_key, 404 not found, 400 the rest; 503 while
the database is away, with Retry-After).

Who posts: an external system, known by its api_key (IntakeSettings.open311_api_keys maps each key's
sha256 digest to the system's id; the request's actor is that id with the role external_system).
What anyone may read (the spec's reads need no key): a request's service, status, dates, the
agency it went to and its place as the register names it, never the submitter's data nor free
text. The system that posted a request also gets its description, location and media back,
scrubbed as intake's masked responses are.

Modules: `routes.py` (the blueprint and its error handlers), `payloads.py` (the spec's payloads and
how intake's data becomes them), `formats.py` (XML or JSON, times, the error format),
`arguments.py` (the spec's arguments and posted form in intake's terms, the search's query),
`openapi.py` (the operations' OpenAPI entries).
"""
