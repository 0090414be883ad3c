"""Employment-needs surveys of a community or compound, one of employment's aggregates: its routes,
payloads, decisions, store and use cases."""
