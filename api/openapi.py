"""The OpenAPI 3.1 document of the API, built from one table of operations.

A test checks that the (method, path) pairs here equal the app's routes, so the document
cannot drift from `api/routes.py`. Every error answer is an RFC 9457 problem.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from api.openapi_schemas import SCHEMAS, Schema, ref

RFC822 = "message/rfc822"
JSON = "application/json"
PROBLEM = "application/problem+json"
# Errors any authenticated operation may answer (403: insufficient_scope, api/scopes.py).
COMMON_ERRORS = (401, 403, 413, 500)


@dataclass(frozen=True, slots=True)
class Operation:
    """What the document says about one method on one path."""

    summary: str
    response: str | None = None
    status: int = 200
    body: str | None = None
    errors: tuple[int, ...] = (404,)
    query: tuple[str, ...] = ()
    raw_body: bool = False
    public: bool = False
    # Media type of a success answer that is not JSON (e.g. the Prometheus text format).
    text: str | None = None
    # Whether a request body may be left out (then the defaults apply).
    optional_body: bool = False
    # The operationId when the handler's name does not say it (handlers made by a factory).
    operation_id: str | None = None


PAGED = ("cursor", "limit")
REPEATABLE_QUERY = frozenset({"project_id", "type", "address"})
REQUIRED_QUERY = frozenset({"address"})
ADMIN = (403,)
OPERATIONS: dict[tuple[str, str], Operation] = {
    ("GET", "/healthz"): Operation("The process is up.", "Status", public=True, errors=()),
    ("GET", "/readyz"): Operation("The spool can commit a message.", "Status", public=True,
                                  errors=(503,)),
    ("GET", "/v1/openapi.json"): Operation("This document.", "OpenApiDocument", public=True,
                                           errors=()),
    ("GET", "/metrics"): Operation(
        "Prometheus metrics in the text format (admin; no token when metrics_public is set).",
        text="text/plain; version=0.0.4", errors=ADMIN),
    ("POST", "/v1/projects"): Operation("Create a project (admin).", "Project", 201,
                                        "ProjectCreate", (403, 409, 422)),
    ("GET", "/v1/projects"): Operation("List the caller's projects.", "Projects", errors=()),
    ("GET", "/v1/projects/{pid}"): Operation("Read a project.", "Project"),
    ("PATCH", "/v1/projects/{pid}"): Operation("Change a project's name and settings.",
                                               "Project", body="ProjectPatch", errors=(404, 422)),
    ("POST", "/v1/projects/{pid}/addresses/rotate"): Operation(
        "Issue new project addresses; the old ones work for the grace period.",
        "ProjectAddresses"),
    ("PUT", "/v1/projects/{pid}/members/{uid}"): Operation("Make a user a member (admin).",
                                                           status=204, errors=(403, 404)),
    ("DELETE", "/v1/projects/{pid}/members/{uid}"): Operation("End a membership (admin).",
                                                              status=204, errors=(403, 404)),
    ("POST", "/v1/users"): Operation("Create a user (admin).", "User", 201, "UserCreate",
                                     (403, 409, 422)),
    ("GET", "/v1/users"): Operation("List users (a user sees only themselves).", "Users",
                                    errors=()),
    ("GET", "/v1/users/{uid}"): Operation("Read a user.", "User", errors=(403, 404)),
    ("PATCH", "/v1/users/{uid}"): Operation(
        "Change a user (admin; a user may set their own notices).", "User", body="UserPatch",
        errors=(403, 404, 409, 422)),
    ("POST", "/v1/users/{uid}/tokens"): Operation(
        "Issue a named API token with scopes and an optional lifetime; shown once.",
        "NewToken", 201, "TokenCreate", (403, 404, 422), optional_body=True),
    ("GET", "/v1/users/{uid}/tokens"): Operation("List a user's tokens (no secrets).", "Tokens",
                                                 errors=(403, 404)),
    ("DELETE", "/v1/users/{uid}/tokens/{tid}"): Operation("Revoke a user's token at once.",
                                                          status=204, errors=(403, 404)),
    ("DELETE", "/v1/tokens/{id}"): Operation("Revoke a token at once.", status=204,
                                             errors=(403, 404)),
    ("POST", "/v1/mailboxes"): Operation("Connect a mailbox.", "Mailbox", 201, "MailboxCreate",
                                         (403, 404, 409, 422)),
    ("GET", "/v1/mailboxes"): Operation("List mailboxes.", "Mailboxes", errors=()),
    ("GET", "/v1/mailboxes/{id}"): Operation("Read a mailbox.", "Mailbox"),
    ("PATCH", "/v1/mailboxes/{id}"): Operation("Change a mailbox.", "Mailbox",
                                               body="MailboxPatch", errors=(403, 404, 409, 422)),
    ("POST", "/v1/mailboxes/{id}/messages"): Operation(
        "Ingest a message synced from the mailbox.", "Decision", raw_body=True,
        errors=(404, 422, 503)),
    ("PUT", "/v1/projects/{pid}/contacts"): Operation(
        "Create or update contacts by external id.", "ContactUpsertResult",
        body="ContactUpsert", errors=(404, 422)),
    ("GET", "/v1/projects/{pid}/contacts"): Operation("List contacts.", "Contacts",
                                                      query=("email", *PAGED), errors=(404, 422)),
    ("GET", "/v1/projects/{pid}/contacts/{cid}/interactions"): Operation(
        "A contact's timeline, newest first.", "Interactions", query=PAGED, errors=(404, 422)),
    ("GET", "/v1/interactions/{id}"): Operation(
        "One interaction whole: its message, direction, companies, deals and attachments.",
        "InteractionWhole"),
    ("DELETE", "/v1/interactions/{id}"): Operation("Unlog an interaction (recorded).",
                                                   status=204),
    ("PATCH", "/v1/interactions/{id}"): Operation(
        "Make an interaction private or not (its user or an admin).", "Interaction",
        body="InteractionPatch", errors=(403, 404, 422)),
    ("POST", "/v1/users/{uid}/never-log"): Operation(
        "Add an address the user's captures never log.", "PersonalNeverLog", 201,
        "NeverLogCreate", (403, 404, 409, 422)),
    ("GET", "/v1/users/{uid}/never-log"): Operation("List the user's never-log addresses.",
                                                    "PersonalNeverLogList", errors=(403, 404)),
    ("DELETE", "/v1/users/{uid}/never-log/{id}"): Operation(
        "Remove an address from the user's never-log list.", status=204, errors=(403, 404)),
    ("POST", "/v1/erasures"): Operation(
        "Erase an address (admin): its interactions, contacts, message content and raw "
        "bytes; a tombstone keeps it from being logged again.", "ErasureCounts",
        body="ErasureRequest", errors=(403, 409, 422)),
    ("PUT", "/v1/projects/{pid}/companies"): Operation(
        "Create or update companies by external id (their domains replaced).",
        "CompanyUpsertResult", body="CompanyUpsert", errors=(404, 422)),
    ("GET", "/v1/projects/{pid}/companies/{cid}/interactions"): Operation(
        "The interactions filed under a company, newest first.", "FiledInteractions",
        query=PAGED, errors=(404, 422)),
    ("PUT", "/v1/projects/{pid}/deals"): Operation(
        "Create or update deals by external id (their contacts replaced).",
        "DealUpsertResult", body="DealUpsert", errors=(404, 422)),
    ("GET", "/v1/projects/{pid}/deals/{did}/interactions"): Operation(
        "The interactions filed under a deal, newest first.", "FiledInteractions",
        query=PAGED, errors=(404, 422)),
    ("GET", "/v1/interactions/{id}/attachments/{n}"): Operation(
        "An attachment's bytes (n from 1), as a download with its type.",
        text="application/octet-stream", errors=(404, 422)),
    ("POST", "/v1/projects/{pid}/ignored"): Operation("Ignore an address or domain.", "Ignored",
                                                      201, "IgnoredCreate", (404, 409, 422),
                                                      operation_id="addIgnored"),
    ("GET", "/v1/projects/{pid}/ignored"): Operation("List ignored addresses.", "IgnoredList",
                                                     operation_id="listIgnored"),
    ("DELETE", "/v1/projects/{pid}/ignored/{id}"): Operation("Stop ignoring.", status=204,
                                                             operation_id="deleteIgnored"),
    ("POST", "/v1/ignored"): Operation("Ignore an address or domain in every project (admin).",
                                       "Ignored", 201, "IgnoredCreate", (403, 409, 422)),
    ("GET", "/v1/ignored"): Operation("List globally ignored addresses (admin).", "IgnoredList",
                                      errors=(403,)),
    ("DELETE", "/v1/ignored/{id}"): Operation("Stop ignoring globally (admin).", status=204,
                                              errors=(403, 404)),
    ("POST", "/v1/projects/{pid}/never-log"): Operation("Add a never-log address.", "NeverLog",
                                                        201, "NeverLogCreate", (404, 409, 422),
                                                        operation_id="addNeverLog"),
    ("GET", "/v1/projects/{pid}/never-log"): Operation("List never-log addresses.",
                                                       "NeverLogList",
                                                       operation_id="listNeverLog"),
    ("DELETE", "/v1/projects/{pid}/never-log/{id}"): Operation("Remove a never-log address.",
                                                               status=204,
                                                               operation_id="deleteNeverLog"),
    ("POST", "/v1/log"): Operation(
        "Log a message (Log button); idempotent.", "Decision", body="LogRequest", raw_body=True,
        query=("project_id", "user_id"), errors=(403, 415, 422, 503)),
    ("POST", "/v1/explain"): Operation("Decide a message without recording anything.",
                                       "Decision", body="ExplainRequest",
                                       errors=(403, 415, 422, 503)),
    ("GET", "/v1/lookup"): Operation(
        "What the caller's projects know of up to 50 addresses (before Log).", "Lookup",
        query=("address",), errors=(403, 422)),
    ("GET", "/v1/messages"): Operation("List received messages.", "ReceivedMessages",
                                       query=("message_id", "status", *PAGED), errors=(422,)),
    ("GET", "/v1/messages/{id}/decision"): Operation("The stored decision of a message.",
                                                     "Decision"),
    ("GET", "/v1/messages/{id}/raw"): Operation(
        "A received message as it arrived, e.g. mail to postmaster (admin).", text=RFC822,
        errors=(403, 404)),
    ("POST", "/v1/messages/{id}/match"): Operation(
        "Log an address no contact matched on an existing or new contact (manual-match).",
        "Decision", body="Match", errors=(404, 409, 422, 503)),
    ("POST", "/v1/messages/{id}/replay"): Operation(
        "Queue a failed message again for the workers (admin).", "Replayed", 202,
        errors=(403, 404, 409)),
    ("GET", "/v1/threads"): Operation("List threads (pending by default).", "Threads",
                                      query=("status", *PAGED), errors=(422,)),
    ("POST", "/v1/threads/{id}/assign"): Operation("Assign a pending thread to projects.",
                                                   "Decision", body="Assignment",
                                                   errors=(404, 422, 503)),
    ("GET", "/v1/quarantine"): Operation("List quarantined messages (admin).", "QuarantineList",
                                         query=PAGED, errors=ADMIN),
    ("POST", "/v1/quarantine/{id}/release"): Operation(
        "Release a quarantined message (admin).", "Decision", errors=(403, 404, 409, 503)),
    ("DELETE", "/v1/quarantine/{id}"): Operation("Delete a quarantined message (admin).",
                                                 status=204, errors=(403, 404)),
    ("GET", "/v1/events"): Operation(
        "Events after a cursor, in commit order; `next` is always the cursor to poll with.",
        "Events", query=("after", "type", "project_id", "limit"), errors=(422,)),
    ("POST", "/v1/webhooks"): Operation(
        "Register a webhook (admin); its secret is shown once.", "NewWebhook", 201,
        "WebhookCreate", (403, 422)),
    ("GET", "/v1/webhooks"): Operation("List webhooks (admin).", "Webhooks", query=PAGED,
                                       errors=ADMIN),
    ("GET", "/v1/webhooks/{id}"): Operation("Read a webhook (admin).", "Webhook",
                                            errors=(403, 404)),
    ("DELETE", "/v1/webhooks/{id}"): Operation("Delete a webhook and its deliveries (admin).",
                                               status=204, errors=(403, 404)),
    ("GET", "/v1/webhooks/{id}/deliveries"): Operation(
        "A webhook's deliveries with their attempts (admin).", "Deliveries",
        query=("status", *PAGED), errors=(403, 404, 422)),
    ("POST", "/v1/webhooks/{id}/deliveries/{did}/retry"): Operation(
        "Deliver again now (admin); 409 while an attempt is under way.", "Delivery",
        errors=(403, 404, 409)),
}


def _parameters(path: str, operation: Operation) -> list[Schema]:
    names = re.findall(r"\{(\w+)\}", path)
    params = [{"name": n, "in": "path", "required": True, "schema": {"type": "string"}}
              for n in names]
    for name in operation.query:
        schema: Schema = {"type": "string"}
        if name in REPEATABLE_QUERY:
            schema = {"type": "array", "items": {"type": "string"}}
        params.append({"name": name, "in": "query", "required": name in REQUIRED_QUERY,
                       "schema": schema})
    return params


def _request_body(operation: Operation) -> Schema | None:
    content: dict[str, Any] = {}
    if operation.raw_body:
        content[RFC822] = {"schema": {"type": "string", "contentMediaType": RFC822}}
    if operation.body:
        content[JSON] = {"schema": ref(operation.body)}
    if not content:
        return None
    return {"required": not operation.optional_body, "content": content}


def _responses(operation: Operation) -> dict[str, Schema]:
    success: Schema = {"description": "Success"}
    if operation.response:
        success["content"] = {JSON: {"schema": ref(operation.response)}}
    if operation.text:
        success["content"] = {operation.text: {"schema": {"type": "string"}}}
    responses: dict[str, Schema] = {str(operation.status): success}
    errors = operation.errors if operation.public else (*operation.errors, *COMMON_ERRORS)
    # A NUL character in the path or query, or a body that is not JSON at all, is a
    # malformed request on any operation.
    errors = (*errors, 400)
    if "limit" in operation.query:
        errors = (*errors, 422)
    if operation.body or operation.raw_body:
        # A body that does not arrive within http_body_timeout.
        errors = (*errors, 408)
    for status in sorted(set(errors)):
        responses[str(status)] = {"$ref": "#/components/responses/Problem"}
    return responses


def _operation(method: str, path: str, operation: Operation, name: OperationName) -> Schema:
    document: Schema = {"summary": operation.summary, "operationId": name.operation_id,
                        "tags": [name.tag], "parameters": _parameters(path, operation),
                        "responses": _responses(operation)}
    body = _request_body(operation)
    if body is not None:
        document["requestBody"] = body
    if operation.public:
        document["security"] = []
    return document


@dataclass(frozen=True, slots=True)
class OperationName:
    """How the document names an operation: its operationId and its one tag."""

    operation_id: str
    tag: str


# Handler modules whose name is not the tag they belong under.
_MODULE_TAGS = {"health": "Service", "openapi": "Service", "address_lists": "Address lists"}


def name_of(handler: Callable[..., Any]) -> OperationName:
    """Name an operation after its handler: `tokens.create_token` is createToken, in Tokens."""
    first, *rest = handler.__name__.split("_")
    module = handler.__module__.rpartition(".")[2]
    return OperationName(first + "".join(word.capitalize() for word in rest),
                         _MODULE_TAGS.get(module, module.capitalize()))


def _fallback_name(method: str, path: str) -> OperationName:
    segments = [s for s in path.split("/") if s and not s.startswith("{") and s != "v1"]
    return OperationName(f"{method.lower()}{re.sub(r'[^A-Za-z]+', '_', path)}",
                         segments[0].capitalize() if segments else "Service")


def _operation_names(handlers: Mapping[tuple[str, str], Callable[..., Any]]
                     ) -> dict[tuple[str, str], OperationName]:
    """Name every operation: its own operation_id, else its handler's name, else its path.

    A handler name two operations share (a factory's) falls back to the path spelling, so
    operationIds stay unique.
    """
    names: dict[tuple[str, str], OperationName] = {}
    for key, operation in OPERATIONS.items():
        handler = handlers.get(key)
        name = name_of(handler) if handler else _fallback_name(*key)
        if operation.operation_id:
            name = OperationName(operation.operation_id, name.tag)
        names[key] = name
    taken = Counter(name.operation_id for name in names.values())
    return {key: name if taken[name.operation_id] == 1
            else OperationName(_fallback_name(*key).operation_id, name.tag)
            for key, name in names.items()}


def build_document(handlers: Mapping[tuple[str, str], Callable[..., Any]] | None = None
                   ) -> Schema:
    """Return the OpenAPI 3.1 document of every operation.

    `handlers` by (method, path) name the operations after their handlers (the app's
    router gives them); without them, names are spelled from the method and path.
    """
    names = _operation_names(handlers or {})
    paths: dict[str, Schema] = {}
    for (method, path), operation in OPERATIONS.items():
        paths.setdefault(path, {})[method.lower()] = _operation(
            method, path, operation, names[method, path])
    problem = {"description": "An RFC 9457 problem document.",
               "content": {PROBLEM: {"schema": ref("Problem")}}}
    return {
        "openapi": "3.1.0",
        "info": {"title": "blindcopy", "version": "1",
                 "description": "BCC address, forwarding address and Log button backend."},
        "paths": paths,
        "components": {"schemas": SCHEMAS, "responses": {"Problem": problem},
                       "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}}},
        "security": [{"bearer": []}],
    }
