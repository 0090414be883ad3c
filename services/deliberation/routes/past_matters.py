"""The view importing past matters (a register of matters settled before the platform)."""

from __future__ import annotations

from civic146.auth import (
    SUBDISTRICT_ADMIN,
    actor_of,
    principal,
)

from .. import actions, schemas
from .scope import bp, ctx

IMPORT_MAX_BYTES = 8 * 1024 * 1024  # a register of a thousand matters with their minutes


@bp.endpoint(
    "/imports/past-matters",
    "POST",
    summary="Import matters settled before the platform (whole file or nothing; idempotent by external_id)",
    body=schemas.PastMattersIn,
    response=schemas.PastMattersOut,
    roles=(SUBDISTRICT_ADMIN,),
    max_body_bytes=IMPORT_MAX_BYTES,
)
def import_past_matters(body: schemas.PastMattersIn):
    p = principal()
    rows = body.model_dump()["matters"]  # places are checked by the payload (PlaceIn)
    return schemas.PastMattersOut(**actions.import_past_matters(ctx(), rows, body.source, actor_of(p)))
