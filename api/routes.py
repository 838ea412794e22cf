"""Every URL of the API in one table: method, path, handler."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import aiohttp_jinja2
import jinja2
from aiohttp import web
from aiohttp.typedefs import Handler

from api.console import pages
from api.handlers import (
    address_lists,
    attachments,
    capture,
    companies,
    contacts,
    deals,
    events,
    health,
    interactions,
    lookup,
    mailboxes,
    messages,
    privacy,
    projects,
    quarantine,
    threads,
    tokens,
    users,
    webhooks,
)
from api.handlers.openapi import openapi_document


@dataclass(frozen=True, slots=True)
class Route:
    """One operation: an HTTP method on a path template."""

    method: str
    path: str
    handler: Handler


ROUTES: tuple[Route, ...] = (
    Route("GET", "/healthz", health.healthz),
    Route("GET", "/readyz", health.readyz),
    Route("GET", "/metrics", health.metrics),
    Route("GET", "/v1/openapi.json", openapi_document),
    # Projects, their addresses and members.
    Route("POST", "/v1/projects", projects.create_project),
    Route("GET", "/v1/projects", projects.list_all_projects),
    Route("GET", "/v1/projects/{pid}", projects.get_project),
    Route("PATCH", "/v1/projects/{pid}", projects.patch_project),
    Route("POST", "/v1/projects/{pid}/addresses/rotate", projects.rotate_project_addresses),
    Route("PUT", "/v1/projects/{pid}/members/{uid}", projects.put_member),
    Route("DELETE", "/v1/projects/{pid}/members/{uid}", projects.delete_member),
    # Users and their tokens.
    Route("POST", "/v1/users", users.create_user),
    Route("GET", "/v1/users", users.list_all_users),
    Route("GET", "/v1/users/{uid}", users.get_one_user),
    Route("PATCH", "/v1/users/{uid}", users.patch_user),
    Route("POST", "/v1/users/{uid}/tokens", tokens.create_token),
    Route("GET", "/v1/users/{uid}/tokens", tokens.list_user_tokens),
    Route("DELETE", "/v1/users/{uid}/tokens/{tid}", tokens.revoke_user_token),
    Route("DELETE", "/v1/tokens/{id}", tokens.revoke_token),
    Route("POST", "/v1/users/{uid}/never-log", privacy.add_personal_entry),
    Route("GET", "/v1/users/{uid}/never-log", privacy.list_personal_entries),
    Route("DELETE", "/v1/users/{uid}/never-log/{id}", privacy.delete_personal_entry),
    # Mailboxes and mailbox sync ingestion.
    Route("POST", "/v1/mailboxes", mailboxes.create_mailbox),
    Route("GET", "/v1/mailboxes", mailboxes.list_all_mailboxes),
    Route("GET", "/v1/mailboxes/{id}", mailboxes.get_one_mailbox),
    Route("PATCH", "/v1/mailboxes/{id}", mailboxes.patch_mailbox),
    Route("POST", "/v1/mailboxes/{id}/messages", mailboxes.ingest_message),
    # Contacts and their timelines.
    Route("PUT", "/v1/projects/{pid}/contacts", contacts.put_contacts),
    Route("GET", "/v1/projects/{pid}/contacts", contacts.get_contacts),
    Route("GET", "/v1/projects/{pid}/contacts/{cid}/interactions", contacts.get_interactions),
    Route("GET", "/v1/interactions/{id}", interactions.get_one_interaction),
    Route("DELETE", "/v1/interactions/{id}", interactions.delete_interaction),
    Route("PATCH", "/v1/interactions/{id}", privacy.patch_interaction),
    # Companies and deals, and the interactions filed under them (SPEC §12).
    Route("PUT", "/v1/projects/{pid}/companies", companies.put_companies),
    Route("GET", "/v1/projects/{pid}/companies/{cid}/interactions",
          companies.get_company_interactions),
    Route("PUT", "/v1/projects/{pid}/deals", deals.put_deals),
    Route("GET", "/v1/projects/{pid}/deals/{did}/interactions", deals.get_deal_interactions),
    Route("GET", "/v1/interactions/{id}/attachments/{n}", attachments.get_attachment),
    # Ignored and never-log addresses.
    Route("POST", "/v1/projects/{pid}/ignored", address_lists.add_ignored),
    Route("GET", "/v1/projects/{pid}/ignored", address_lists.list_ignored),
    Route("DELETE", "/v1/projects/{pid}/ignored/{id}", address_lists.delete_ignored),
    Route("POST", "/v1/ignored", address_lists.add_global_ignored),
    Route("GET", "/v1/ignored", address_lists.list_global_ignored),
    Route("DELETE", "/v1/ignored/{id}", address_lists.delete_global_ignored),
    Route("POST", "/v1/projects/{pid}/never-log", address_lists.add_never_log),
    Route("GET", "/v1/projects/{pid}/never-log", address_lists.list_never_log),
    Route("DELETE", "/v1/projects/{pid}/never-log/{id}", address_lists.delete_never_log),
    # Capture, decisions and explanations.
    Route("POST", "/v1/log", capture.log),
    Route("POST", "/v1/explain", capture.explain),
    Route("GET", "/v1/lookup", lookup.lookup),
    Route("GET", "/v1/messages", messages.list_messages),
    Route("GET", "/v1/messages/{id}/decision", messages.get_decision),
    Route("GET", "/v1/messages/{id}/raw", messages.get_raw),
    Route("POST", "/v1/messages/{id}/match", messages.match_address),
    Route("POST", "/v1/messages/{id}/replay", messages.replay),
    # Pending threads.
    Route("GET", "/v1/threads", threads.list_pending_threads),
    Route("POST", "/v1/threads/{id}/assign", threads.assign_thread),
    # Erasure on request (admin).
    Route("POST", "/v1/erasures", privacy.create_erasure),
    # Quarantine (admin).
    Route("GET", "/v1/quarantine", quarantine.list_quarantine),
    Route("POST", "/v1/quarantine/{id}/release", quarantine.release),
    Route("DELETE", "/v1/quarantine/{id}", quarantine.delete_quarantined),
    # Events and webhooks.
    Route("GET", "/v1/events", events.list_all_events),
    Route("POST", "/v1/webhooks", webhooks.create_webhook),
    Route("GET", "/v1/webhooks", webhooks.list_all_webhooks),
    Route("GET", "/v1/webhooks/{id}", webhooks.get_one_webhook),
    Route("DELETE", "/v1/webhooks/{id}", webhooks.delete_webhook),
    Route("GET", "/v1/webhooks/{id}/deliveries", webhooks.get_deliveries),
    Route("POST", "/v1/webhooks/{id}/deliveries/{did}/retry", webhooks.retry),
)


# The console's pages and forms (SPEC §14): HTML, signed in by a session, not in the
# OpenAPI document. Every form answers 303 to the page that shows its result.
CONSOLE_ROUTES: tuple[Route, ...] = (
    Route("GET", "/console/", pages.index),
    Route("GET", "/console/sign-in", pages.sign_in_page),
    Route("POST", "/console/sign-in", pages.sign_in),
    Route("POST", "/console/sign-out", pages.sign_out),
    Route("GET", "/console/pending", pages.pending),
    Route("POST", "/console/threads/{id}/assign", pages.assign),
    Route("GET", "/console/unmatched", pages.unmatched),
    Route("POST", "/console/messages/{id}/match", pages.match),
    Route("GET", "/console/quarantine", pages.quarantine),
    Route("POST", "/console/quarantine/{id}/release", pages.release),
    Route("POST", "/console/quarantine/{id}/delete", pages.delete),
    Route("GET", "/console/failed", pages.failed),
    Route("POST", "/console/messages/{id}/replay", pages.replay),
    Route("GET", "/console/messages/{id}", pages.message),
    Route("GET", "/console/projects/{pid}/contacts/{cid}", pages.timeline),
)
CONSOLE_STATIC = Path(__file__).parent / "console" / "static"
CONSOLE_TEMPLATES = Path(__file__).parent / "console" / "templates"


# What a process without the API (`blindcopy worker`) serves on its metrics port.
HEALTH_PATHS = frozenset({"/healthz", "/readyz", "/metrics"})


def add_routes(app: web.Application, paths: frozenset[str] | None = None) -> None:
    """Register the routes of ROUTES (all, or those on `paths`) on the app's router; with
    all of them, the console's pages too."""
    for route in ROUTES:
        if paths is None or route.path in paths:
            app.router.add_route(route.method, route.path, route.handler)
    if paths is None:
        add_console(app)


def add_console(app: web.Application) -> None:
    """Register the console's pages, its style sheet and its templates (autoescaped)."""
    aiohttp_jinja2.setup(app, loader=jinja2.FileSystemLoader(CONSOLE_TEMPLATES),
                         autoescape=jinja2.select_autoescape(("html",)))
    for route in CONSOLE_ROUTES:
        app.router.add_route(route.method, route.path, route.handler)
    app.router.add_static("/console/static", CONSOLE_STATIC)
