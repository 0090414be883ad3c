"""Views of topics: raise, list, read, edit, and move linked requests."""

from __future__ import annotations

from civic146 import paging
from civic146.auth import (
    CPPCC_MEMBER,
    DEPUTY,
    STAFF_ROLES,
    actor_of,
    principal,
)
from civic146.errors import InvalidInput

from .. import actions, schemas, store
from .presentation import present, shown
from .scope import CREATORS, READERS, bp, check_serves, ctx, load

ORIGIN_BY_ROLE = {DEPUTY: "deputy", CPPCC_MEMBER: "cppcc_member"}


@bp.endpoint(
    "/topics",
    "POST",
    summary="Raise a topic (step 1)",
    body=schemas.CreateTopicIn,
    response=schemas.TopicOut,
    status=201,
    roles=CREATORS,
)
def create_topic(body: schemas.CreateTopicIn):
    p, c = principal(), ctx()
    check_serves(p, body.community)
    origin = "community_staff" if p.has(*STAFF_ROLES) else ORIGIN_BY_ROLE[p.primary_role]
    return present(actions.create_topic(c, body.model_dump(), origin, actor_of(p)), p)


@bp.endpoint(
    "/topics",
    "GET",
    summary="List topics (newest first, cursor pagination; ?request_id= the topic holding a request)",
    query=schemas.ListQuery,
    response=schemas.TopicPage,
    roles=CREATORS,
)
def list_topics(query: schemas.ListQuery):
    p = principal()
    if query.community:
        check_serves(p, query.community)
        flt: dict = {"community": query.community}
    elif p.is_admin:
        flt = {}
    else:
        raise InvalidInput(
            "name a community", [{"field": "community", "message": "required unless sub-district admin"}]
        )
    for key in ("step", "platform"):
        if getattr(query, key):
            flt[key] = getattr(query, key)
    if query.request_id:
        flt["request_ids"] = query.request_id
    conditions = [flt, paging.after(query.cursor, "created_at")] if query.cursor else [flt]
    docs, next_cursor = paging.page_of(
        store.page({"$and": conditions}, query.limit + 1), query.limit, "created_at"
    )
    return schemas.TopicPage(items=[shown(d, p) for d in docs], next_cursor=next_cursor)


@bp.endpoint(
    "/topics/<topic_id>",
    "GET",
    summary="One topic with its steps, meetings, votes and tasks",
    response=schemas.TopicOut,
    roles=READERS,
)
def get_topic(topic_id: str):
    doc, p = load(topic_id)
    return shown(doc, p)


@bp.endpoint(
    "/topics/<topic_id>",
    "PATCH",
    summary="Edit the topic (text and platform in step 1)",
    body=schemas.UpdateTopicIn,
    response=schemas.TopicOut,
    roles=STAFF_ROLES,
)
def update_topic(topic_id: str, body: schemas.UpdateTopicIn):
    doc, p = load(topic_id, manage=True)
    return present(actions.update(ctx(), doc, actor_of(p), body.model_dump(exclude_unset=True)), p)


@bp.endpoint(
    "/topics/<topic_id>/requests",
    "POST",
    summary="Attach a request (moves it from its current topic)",
    body=schemas.AttachIn,
    response=schemas.TopicOut,
    roles=STAFF_ROLES,
)
def attach_request(topic_id: str, body: schemas.AttachIn):
    doc, p = load(topic_id, manage=True)
    return present(actions.attach_request(ctx(), doc, actor_of(p), body.request_id), p)


@bp.endpoint(
    "/topics/<topic_id>/requests/<request_id>/detach",
    "POST",
    summary="Detach a request into a topic of its own (returns the new topic)",
    response=schemas.TopicOut,
    status=201,
    roles=STAFF_ROLES,
)
def detach_request(topic_id: str, request_id: str):
    doc, p = load(topic_id, manage=True)
    return present(actions.detach_request(ctx(), doc, actor_of(p), request_id), p)
