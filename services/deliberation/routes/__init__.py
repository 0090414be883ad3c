"""The deliberation HTTP API: topics through the six steps, consultations, votes, public notices.

One blueprint (`bp`, in scope.py), one module of views per part of the API. The modules are
imported in the order their views register: that order is the OpenAPI document's.
"""

# isort: off
from . import topics, steps, roll, public, registries, statistics, past_matters
from .scope import bp

# isort: on
