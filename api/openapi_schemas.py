"""JSON Schemas of the API's request and response bodies (OpenAPI 3.1 components)."""

from __future__ import annotations

from typing import Any

from store.events import EventType

Schema = dict[str, Any]


def ref(name: str) -> Schema:
    """Return a reference to a component schema."""
    return {"$ref": f"#/components/schemas/{name}"}


def obj(required: list[str], **properties: Schema) -> Schema:
    """Return an object schema."""
    return {"type": "object", "required": required, "properties": properties}


def items_of(name: str) -> Schema:
    """Return a `{items, next}` page schema of a component."""
    return obj(["items"], items={"type": "array", "items": ref(name)},
               next={"type": ["string", "null"], "description": "cursor of the next page"})


STRING: Schema = {"type": "string"}
NULLABLE_STRING: Schema = {"type": ["string", "null"]}
STRINGS: Schema = {"type": "array", "items": STRING}
TIME: Schema = {"type": "string", "format": "date-time"}
ANY_OBJECT: Schema = {"type": "object"}
BOOLEAN: Schema = {"type": "boolean"}
INTEGER: Schema = {"type": "integer"}

SETTINGS = obj(
    [],
    interaction_type={"type": "string", "maxLength": 64},
    logging_mode={"enum": ["replies_only", "all"]},
    sender_auth={"enum": ["aligned", "dkim", "none"]},
    create_contacts={"enum": ["never", "recipients"]},
    store_bodies={"type": "boolean"},
    capture_level={"enum": ["full", "subject", "metadata"]},
    deal_association={"enum": ["none", "open_recent", "all_open"]},
)
ADDRESSES = obj(["bcc", "forward"], bcc=STRING, forward=STRING)
OUTCOME = obj(["address", "project_id", "status", "reason"], address=STRING,
              project_id=NULLABLE_STRING, contact_id=NULLABLE_STRING,
              status={"enum": ["logged", "pending", "not_logged"]},
              interaction_id=NULLABLE_STRING,
              reason={**STRING, "description": "stable reason code (docs/rules.md)"},
              detail={**STRING, "description": "the reason as a sentence"},
              rule={**STRING, "description": "the rule that decided"},
              user_id={**NULLABLE_STRING, "description": "the user credited"},
              interaction_type=STRING, create_contact={"type": "boolean"},
              thread_id=NULLABLE_STRING, company_ids=STRINGS, deal_ids=STRINGS)
FINDING = obj(["rule", "verdict", "detail"], rule=STRING,
              verdict={"enum": ["pass", "fail", "skip"]}, reason=STRING, detail=STRING,
              effect=NULLABLE_STRING, address=NULLABLE_STRING, project_id=NULLABLE_STRING)
ATTACHMENT = obj(["filename", "content_type", "size"], filename=NULLABLE_STRING,
                 content_type=STRING, size={"type": "integer"}, sha256=STRING)
SCOPES: Schema = {"type": "array", "uniqueItems": True,
                  "items": {"enum": ["log", "read", "write"]}}
TOKEN_FIELDS: dict[str, Schema] = {
    "id": STRING, "name": NULLABLE_STRING, "scopes": SCOPES, "created_at": TIME,
    "expires_at": {"type": ["string", "null"], "format": "date-time",
                   "description": "null: valid until revoked"}}
# The structured form of a message for POST /v1/log (instead of its raw bytes).
STRUCTURED_MESSAGE = obj(
    [], subject=STRING, date={**STRING, "description": "RFC 5322 or ISO 8601 date"},
    message_id=STRING, in_reply_to=STRING, text=STRING, html=STRING,
    to={**STRINGS, "maxItems": 1000}, cc={**STRINGS, "maxItems": 1000},
    references={**STRINGS, "maxItems": 1000},
    **{"from": {**STRING, "description": "the sender, e.g. Bob <bob@client.test>"}})
ADDRESS_LOOKUP = obj(
    ["address", "is_user", "ignored", "never_log", "contacts"], address=STRING,
    is_user={"type": "boolean", "description": "a member's account address, alias or mailbox"},
    ignored={"type": "boolean", "description": "on an ignored list of the caller's projects "
                                               "or the global one"},
    never_log={"type": "boolean", "description": "on a never-log list of the caller's projects"},
    contacts={"type": "array", "items": obj(["project_id", "contact_id", "name"],
                                            project_id=STRING, contact_id=STRING, name=STRING)})

WEBHOOK = obj(["id", "url", "types", "project_ids", "description"], id=STRING,
              url=STRING, types=STRINGS, project_ids=STRINGS, description=STRING,
              created_at=TIME)

# A meeting as its latest invitation describes it (SPEC §12); start and end are ISO 8601
# (an offset for a zoned or UTC time, none for a floating time, a date for an all-day event).
MEETING = obj(["uid", "sequence", "status", "start", "end"], uid=STRING,
              sequence={"type": "integer"},
              status={"type": "string", "enum": ["confirmed", "tentative", "cancelled"]},
              summary=STRING, start=NULLABLE_STRING, end=NULLABLE_STRING,
              timezone=NULLABLE_STRING, location=STRING, organizer=STRING,
              attendees={"type": "array", "items": ANY_OBJECT}, updated_at=TIME)

SCHEMAS: dict[str, Schema] = {
    "Problem": obj(["type", "title", "status", "detail"], type=STRING, title=STRING,
                   status={"type": "integer"}, detail=STRING,
                   errors={"type": "array", "items": obj(["field", "message"],
                                                         field=STRING, message=STRING)}),
    "ProjectSettings": SETTINGS,
    "ProjectCreate": obj(["name"], name=STRING, slug=STRING, settings=ref("ProjectSettings")),
    "ProjectPatch": obj([], name=STRING, settings=ref("ProjectSettings")),
    "Project": obj(["id", "name", "slug", "settings", "addresses"], id=STRING, name=STRING,
                   slug=STRING, settings=ref("ProjectSettings"), addresses=ADDRESSES,
                   created_at=TIME),
    "Projects": items_of("Project"),
    "ProjectAddresses": obj(["addresses"], addresses=ADDRESSES),
    "UserCreate": obj(["name", "email"], name=STRING, email=STRING, aliases=STRINGS,
                      role={"enum": ["admin", "user"]},
                      personal_email_access={"type": "boolean"}, notices={"type": "boolean"}),
    "UserPatch": obj([], name=STRING, email=STRING, aliases=STRINGS,
                     role={"enum": ["admin", "user"]}, personal_email_access={"type": "boolean"},
                     notices={"type": "boolean", "description": "a user may change only this "
                              "field of their own"}),
    "User": obj(["id", "name", "email", "aliases", "role", "personal_email_access", "notices"],
                id=STRING, name=STRING, email=STRING, aliases=STRINGS, role=STRING,
                personal_email_access={"type": "boolean"}, notices={"type": "boolean"},
                created_at=TIME),
    "Users": items_of("User"),
    "TokenCreate": obj([], name={**STRING, "maxLength": 200}, scopes={**SCOPES, "minItems": 1},
                       expires_in_seconds={"type": "integer", "minimum": 1,
                                           "maximum": 315_360_000}),
    "NewToken": obj(["id", "token", "name", "scopes", "expires_at"],
                    token={**STRING, "description": "the bearer token, shown only here"},
                    **TOKEN_FIELDS),
    "Token": obj(["id", "name", "scopes", "created_at", "expires_at"], **TOKEN_FIELDS),
    "Tokens": items_of("Token"),
    "MailboxCreate": obj(["user_id", "address", "project_ids"], user_id=STRING, address=STRING,
                         project_ids=STRINGS),
    "MailboxPatch": obj([], user_id=STRING, address=STRING, project_ids=STRINGS),
    "Mailbox": obj(["id", "user_id", "address", "project_ids"], id=STRING, user_id=STRING,
                   address=STRING, project_ids=STRINGS, created_at=TIME),
    "Mailboxes": items_of("Mailbox"),
    "ContactUpsert": {"type": "array", "maxItems": 1000, "items": obj(
        ["external_id", "emails"], external_id=STRING, name=STRING, emails=STRINGS,
        owner_id=STRING, company_external_id=STRING)},
    "ContactUpsertResult": obj(["created", "updated", "contacts"], created={"type": "integer"},
                               updated={"type": "integer"}, contacts={"type": "array", "items":
                               obj(["id", "external_id"], id=STRING, external_id=STRING)}),
    "Contact": obj(["id", "external_id", "name", "emails"], id=STRING, external_id=STRING,
                   name=STRING, emails=STRINGS, owner_id=NULLABLE_STRING,
                   company_id=NULLABLE_STRING),
    "Contacts": items_of("Contact"),
    "Interaction": obj(["id", "type", "channels", "user_id", "logged_at", "message"], id=STRING,
                       type=STRING, channels=STRINGS, user_id=NULLABLE_STRING, logged_at=TIME,
                       meeting={"oneOf": [{"type": "null"}, MEETING]},
                       private=BOOLEAN,
                       message=obj(["subject", "from", "to", "cc", "date", "preview",
                                    "attachments"], subject=STRING, to=STRINGS, cc=STRINGS,
                                   date=NULLABLE_STRING, preview=STRING,
                                   attachments={"type": "array", "items": ATTACHMENT},
                                   private={**BOOLEAN, "description": "content hidden: a "
                                            "private interaction of another user"},
                                   **{"from": STRING})),
    "InteractionPatch": obj(["private"], private=BOOLEAN),
    "PersonalNeverLog": obj(["id", "address", "user_id"], id=STRING, address=STRING,
                            user_id=STRING, created_at=TIME),
    "PersonalNeverLogList": obj(["items"], items={"type": "array",
                                                  "items": ref("PersonalNeverLog")}),
    "ErasureRequest": obj(["address"], address=STRING, project_id=STRING),
    "ErasureCounts": obj(["interactions", "messages", "raws", "attachments"],
                         interactions=INTEGER, messages=INTEGER, raws=INTEGER,
                         attachments=INTEGER),
    "Interactions": items_of("Interaction"),
    "FiledInteractions": obj(["items"], items={"type": "array", "items": {"allOf": [
        ref("Interaction"), obj(["contact_id"], contact_id=STRING)]}},
        next={"type": ["string", "null"], "description": "cursor of the next page"}),
    "InteractionWhole": obj(
        ["id", "project_id", "contact_id", "type", "channels", "logged_at", "direction",
         "original_verified", "message", "attachments", "companies", "deals"],
        id=STRING, project_id=STRING, contact_id=STRING, thread_id=STRING, type=STRING,
        channels=STRINGS, user_id=NULLABLE_STRING, logged_at=TIME,
        unlogged_at={"type": ["string", "null"], "format": "date-time"},
        direction={"enum": ["outbound", "inbound", "internal"]},
        original_verified={"type": "boolean"},
        message=obj(["message_id", "subject", "from", "to", "cc", "date", "headers", "preview",
                     "text", "html"],
                    message_id=STRING, subject=STRING, from_name=STRING, to=STRINGS,
                    cc=STRINGS, date=NULLABLE_STRING, preview=STRING,
                    headers={"type": "array", "items": obj(["name", "value"], name=STRING,
                                                           value=STRING)},
                    text=NULLABLE_STRING,
                    html={**NULLABLE_STRING, "description": "sanitised when recorded"},
                    **{"from": STRING}),
        attachments={"type": "array", "items": obj(
            ["n", "filename", "content_type", "size", "sha256"], n={"type": "integer"},
            filename=STRING, content_type=STRING, size={"type": "integer"}, sha256=STRING,
            stored={"type": "boolean"}, not_stored=STRING)},
        meeting={"oneOf": [{"type": "null"}, MEETING]},
        companies={"type": "array", "items": obj(["id", "external_id", "name"], id=STRING,
                                                 external_id=STRING, name=STRING)},
        deals={"type": "array", "items": obj(["id", "external_id", "name", "status"],
                                             id=STRING, external_id=STRING, name=STRING,
                                             status={"enum": ["open", "won", "lost"]})}),
    "CompanyUpsert": {"type": "array", "maxItems": 1000, "items": obj(
        ["external_id", "domains"], external_id=STRING, name=STRING,
        domains={"type": "array", "maxItems": 50, "items": STRING})},
    "CompanyUpsertResult": obj(["created", "updated", "companies"],
                               created={"type": "integer"}, updated={"type": "integer"},
                               companies={"type": "array", "items": obj(
                                   ["id", "external_id"], id=STRING, external_id=STRING)}),
    "DealUpsert": {"type": "array", "maxItems": 1000, "items": obj(
        ["external_id", "status", "contact_external_ids", "updated_at"], external_id=STRING,
        name=STRING, status={"enum": ["open", "won", "lost"]},
        contact_external_ids={"type": "array", "maxItems": 100, "items": STRING},
        company_external_id=STRING, updated_at=TIME)},
    "DealUpsertResult": obj(["created", "updated", "deals"], created={"type": "integer"},
                            updated={"type": "integer"}, deals={"type": "array", "items": obj(
                                ["id", "external_id"], id=STRING, external_id=STRING)}),
    "IgnoredCreate": obj(["pattern"], pattern=STRING),
    "Ignored": obj(["id", "pattern"], id=STRING, pattern=STRING, created_at=TIME),
    "IgnoredList": items_of("Ignored"),
    "NeverLogCreate": obj(["address"], address=STRING),
    "NeverLog": obj(["id", "address"], id=STRING, address=STRING, created_at=TIME),
    "NeverLogList": items_of("NeverLog"),
    "Decision": obj(["message_id", "status", "outcomes", "trace"], message_id=NULLABLE_STRING,
                    received_id=NULLABLE_STRING, status=STRING, channel=STRING,
                    user_id=NULLABLE_STRING, quarantine_reason=NULLABLE_STRING,
                    logged_original={"type": "boolean"}, warnings=STRINGS,
                    decided_at=TIME, rules_version=STRING, thread_id=NULLABLE_STRING,
                    outcomes={"type": "array", "items": OUTCOME},
                    trace={"type": "array", "items": FINDING},
                    original_verified={
                        "type": ["boolean", "null"],
                        "description": "whether the logged forwarded original is proved by its "
                                       "own DKIM signature (null: no original is logged)"}),
    "LogRequest": {"oneOf": [
        obj(["raw"], raw={"type": "string", "contentEncoding": "base64"}, project_ids=STRINGS,
            user_id=STRING),
        obj(["message"], message=ref("StructuredMessage"), project_ids=STRINGS, user_id=STRING),
    ]},
    "ExplainRequest": obj(["raw", "channel"], raw={"type": "string", "contentEncoding": "base64"},
                          channel={"enum": ["bcc", "forward", "log", "sync"]}, user_id=STRING,
                          project_ids=STRINGS),
    "StructuredMessage": STRUCTURED_MESSAGE,
    "Lookup": obj(["items"], items={"type": "array", "items": ADDRESS_LOOKUP}),
    "OpenApiDocument": {**obj(["openapi", "info", "paths"], openapi=STRING, info=ANY_OBJECT,
                              paths=ANY_OBJECT, components=ANY_OBJECT),
                        "description": "An OpenAPI 3.1 document (its parts as that "
                                       "specification defines them)."},
    "ReceivedMessage": obj(["id", "message_id", "channel", "status", "outcomes"], id=STRING,
                           message_id=NULLABLE_STRING, channel=STRING,
                           status={"enum": ["queued", "processing", "done", "quarantined",
                                            "failed"]},
                           received_at=TIME, authentication_results=NULLABLE_STRING,
                           attempts={"type": "integer", "description": "processing attempts"},
                           last_error={**NULLABLE_STRING,
                                       "description": "error of the last failed attempt"},
                           outcomes={"type": "array", "items": OUTCOME}),
    "ReceivedMessages": items_of("ReceivedMessage"),
    "Thread": obj(["id", "subject", "participants", "candidate_project_ids"], id=STRING,
                  subject=STRING, participants=STRINGS, candidate_project_ids=STRINGS,
                  status=STRING, private={**BOOLEAN, "description": "subject hidden: the "
                                          "thread holds another user's private interaction"}),
    "Threads": items_of("Thread"),
    "Assignment": obj(["project_ids"], project_ids=STRINGS),
    "Match": {**obj(["address"], address=STRING, contact_id=STRING,
                    create=obj(["name"], name=STRING), project_id=STRING),
              "description": "Give contact_id (an existing contact) or create (a new one; "
                             "project_id names its project when the address is unmatched "
                             "in several)."},
    "Replayed": obj(["id", "status"], id=STRING, status={"enum": ["queued"]}),
    "Quarantined": obj(["id", "message_id", "mail_from", "quarantine_reason",
                        "authentication_results", "received_at"], id=STRING,
                       message_id=NULLABLE_STRING, mail_from=STRING,
                       quarantine_reason=NULLABLE_STRING,
                       authentication_results=NULLABLE_STRING, received_at=TIME),
    "QuarantineList": items_of("Quarantined"),
    "Status": obj(["status"], status=STRING),
    "Event": obj(["id", "type", "timestamp", "project_id", "data"], id=STRING,
                 type={"enum": [str(t) for t in EventType]}, timestamp=TIME,
                 project_id=NULLABLE_STRING,
                 data={**ANY_OBJECT, "description": "the resource as the API shows it"}),
    "WebhookCreate": obj(["url"], url={"type": "string", "format": "uri", "maxLength": 2000},
                         types={"type": "array", "items": {"enum": [str(t) for t in EventType]}},
                         project_ids=STRINGS, description={"type": "string", "maxLength": 500}),
    "Webhook": WEBHOOK,
    "NewWebhook": {**WEBHOOK, "required": [*WEBHOOK["required"], "secret"],
                   "properties": {**WEBHOOK["properties"], "secret": {
                       **STRING, "description": "whsec_ + base64 key; shown only now"}}},
    "Webhooks": items_of("Webhook"),
    "Delivery": obj(["id", "webhook_id", "event_id", "event_type", "status", "attempts"],
                    id=STRING, webhook_id=STRING, event_id=STRING, event_type=STRING,
                    status={"enum": ["pending", "delivering", "delivered", "failed"]},
                    attempts={"type": "array", "items": obj(
                        ["at", "status_code", "error"], at=TIME,
                        status_code={"type": ["integer", "null"]}, error=NULLABLE_STRING)},
                    next_attempt_at={"type": ["string", "null"], "format": "date-time"},
                    delivered_at={"type": ["string", "null"], "format": "date-time"},
                    created_at=TIME),
    "Deliveries": items_of("Delivery"),
    "Events": obj(["items", "next"], items={"type": "array", "items": ref("Event")},
                  next={"type": ["string", "null"],
                        "description": "cursor to ask with next (`after`)"}),
}
