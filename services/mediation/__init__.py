"""Mediation: community dispute cases from application to agreement, fulfilment and court confirmation."""
