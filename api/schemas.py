"""Request schemas: turn validated JSON bodies into typed values for the handlers.

Built on `api.fields.FieldReader` (hand-written, see its docstring for why); every
function reports all field errors of a body at once as one Invalid (422).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any, TypeVar

from api.fields import DOMAIN, SLUG, FieldReader
from rules import CaptureLevel, CreateContacts, DealAssociationMode, LoggingMode
from rules import SenderAuthMode as SenderAuth
from store.errors import FieldError, Invalid
from store.events import EventType
from store.queries.contacts import ContactUpsert

MAX_CONTACTS_PER_UPSERT = 1000
MAX_COMPANIES_PER_UPSERT = 1000
MAX_DEALS_PER_UPSERT = 1000
MAX_DOMAINS_PER_COMPANY = 50
MAX_CONTACTS_PER_DEAL = 100
MAX_PROJECT_IDS = 100
T = TypeVar("T")


class DealStatus(StrEnum):
    OPEN = "open"
    WON = "won"
    LOST = "lost"


class Role(StrEnum):
    ADMIN = "admin"
    USER = "user"


@dataclass(frozen=True, slots=True)
class ProjectFields:
    """A project's name, slug and the settings given in a request (only those given)."""

    name: str | None
    slug: str | None
    settings: dict[str, Any]


def _read_settings(reader: FieldReader) -> dict[str, Any]:
    nested = reader.obj("settings")
    if nested is None:
        return {}
    values: dict[str, Any] = {
        "interaction_type": nested.string("interaction_type", max_length=64),
        "logging_mode": nested.choice("logging_mode", set(LoggingMode)),
        "sender_auth": nested.choice("sender_auth", set(SenderAuth)),
        "create_contacts": nested.choice("create_contacts", set(CreateContacts)),
        "store_bodies": nested.boolean("store_bodies"),
        "capture_level": nested.choice("capture_level", set(CaptureLevel)),
        "deal_association": nested.choice("deal_association", set(DealAssociationMode)),
    }
    nested.reject_unknown()
    return {key: value for key, value in values.items() if value is not None}


def read_project(body: object, *, creating: bool) -> ProjectFields:
    """Validate POST /v1/projects (`{name, slug?, settings?}`) or PATCH (`{name?, settings?}`)."""
    reader = FieldReader(body)
    name = reader.string("name", required=creating)
    slug = reader.string("slug", max_length=40) if creating else None
    if slug is not None and not SLUG.match(slug):
        reader.fail("slug", "must be lower-case letters, digits and inner hyphens")
    settings = _read_settings(reader)
    reader.finish()
    return ProjectFields(name, slug, settings)


@dataclass(frozen=True, slots=True)
class UserFields:
    """A user's fields given in a request (None: not given)."""

    name: str | None
    email: str | None
    aliases: list[str] | None
    role: str | None
    personal_email_access: bool | None
    notices: bool | None = None

    def given_besides_notices(self) -> list[str]:
        """Return the names of the fields given other than `notices` (an admin's to change)."""
        return [name for name in ("name", "email", "aliases", "role", "personal_email_access")
                if getattr(self, name) is not None]


def read_user(body: object, *, creating: bool) -> UserFields:
    """Validate POST /v1/users or PATCH /v1/users/{uid}."""
    reader = FieldReader(body)
    fields = UserFields(
        name=reader.string("name", required=creating),
        email=reader.address("email", required=creating),
        aliases=reader.address_list("aliases"),
        role=reader.choice("role", set(Role)),
        personal_email_access=reader.boolean("personal_email_access"),
        notices=reader.boolean("notices"),
    )
    reader.finish()
    return fields


@dataclass(frozen=True, slots=True)
class MailboxFields:
    """A mailbox's fields given in a request (None: not given)."""

    user_id: str | None
    address: str | None
    project_ids: list[str] | None


def read_mailbox(body: object, *, creating: bool) -> MailboxFields:
    """Validate POST /v1/mailboxes or PATCH /v1/mailboxes/{id}."""
    reader = FieldReader(body)
    fields = MailboxFields(
        user_id=reader.string("user_id", required=creating, max_length=32),
        address=reader.address("address", required=creating),
        project_ids=reader.string_list("project_ids", required=creating,
                                       max_items=MAX_PROJECT_IDS, max_length=32),
    )
    reader.finish()
    return fields


def _read_contact(reader: FieldReader) -> ContactUpsert | None:
    external_id = reader.string("external_id", required=True)
    name = reader.string("name", min_length=0) or ""
    emails = reader.address_list("emails", required=True)
    owner_id = reader.string("owner_id", max_length=32)
    company = reader.string("company_external_id")
    reader.reject_unknown()
    if external_id is None or emails is None:
        return None
    return ContactUpsert(external_id, name, tuple(emails), owner_id, company)


def _read_upserts(body: object, kind: str, most: int,
                  read_one: Callable[[FieldReader], T | None],
                  external_id: Callable[[T], str]) -> list[T]:
    """Validate a bulk upsert: a list of at most `most` items with unique external ids."""
    if not isinstance(body, list):
        raise Invalid.field("body", f"must be a JSON list of {kind}")
    if len(body) > most:
        raise Invalid.field("body", f"must hold at most {most} {kind}")
    errors: list[FieldError] = []
    upserts = [read_one(FieldReader(item, f"[{i}]", errors)) for i, item in enumerate(body)]
    seen: set[str] = set()
    for index, upsert in enumerate(upserts):
        if upsert is not None and external_id(upsert) in seen:
            FieldReader({}, f"[{index}]", errors).fail("external_id", "appears twice")
        seen.update([external_id(upsert)] if upsert is not None else [])
    if errors:
        raise Invalid(errors)
    return [upsert for upsert in upserts if upsert is not None]


def read_contacts(body: object) -> list[ContactUpsert]:
    """Validate PUT /v1/projects/{pid}/contacts: a list of contacts keyed by external id."""
    return _read_upserts(body, "contacts", MAX_CONTACTS_PER_UPSERT, _read_contact,
                         lambda upsert: upsert.external_id)


@dataclass(frozen=True, slots=True)
class CompanyFields:
    """One company of PUT /v1/projects/{pid}/companies; domains lower-cased and unique."""

    external_id: str
    name: str
    domains: tuple[str, ...]


def _read_company(reader: FieldReader) -> CompanyFields | None:
    external_id = reader.string("external_id", required=True)
    name = reader.string("name", min_length=0) or ""
    domains = reader.string_list("domains", required=True, max_items=MAX_DOMAINS_PER_COMPANY,
                                 max_length=253)
    reader.reject_unknown()
    cleaned = [d.lower().removeprefix("@") for d in domains or []]
    for index, domain in enumerate(cleaned):
        if not DOMAIN.match(domain):
            reader.fail(f"domains[{index}]", "must be a domain such as acme.com")
    if external_id is None or domains is None:
        return None
    return CompanyFields(external_id, name, tuple(dict.fromkeys(cleaned)))


def read_companies(body: object) -> list[CompanyFields]:
    """Validate PUT /v1/projects/{pid}/companies: a list of companies keyed by external id."""
    return _read_upserts(body, "companies", MAX_COMPANIES_PER_UPSERT, _read_company,
                         lambda upsert: upsert.external_id)


@dataclass(frozen=True, slots=True)
class DealFields:
    """One deal of PUT /v1/projects/{pid}/deals, its contacts and company by external id."""

    external_id: str
    name: str
    status: str
    contact_external_ids: tuple[str, ...]
    company_external_id: str | None
    updated_at: datetime


def _read_time(reader: FieldReader, name: str) -> datetime | None:
    """Return an RFC 3339 date-time field with its offset (e.g. 2026-11-23T16:12:00Z)."""
    text = reader.string(name, required=True, max_length=64)
    if text is None:
        return None
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        value = None
    if value is None or value.tzinfo is None:
        reader.fail(name, "must be a date-time with its offset, e.g. 2026-11-23T16:12:00Z")
        return None
    return value


def _read_deal(reader: FieldReader) -> DealFields | None:
    external_id = reader.string("external_id", required=True)
    name = reader.string("name", min_length=0) or ""
    status = reader.choice("status", set(DealStatus), required=True)
    contacts = reader.string_list("contact_external_ids", required=True,
                                  max_items=MAX_CONTACTS_PER_DEAL)
    company = reader.string("company_external_id")
    updated_at = _read_time(reader, "updated_at")
    reader.reject_unknown()
    if external_id is None or status is None or contacts is None or updated_at is None:
        return None
    return DealFields(external_id, name, status, tuple(dict.fromkeys(contacts)), company,
                      updated_at)


def read_deals(body: object) -> list[DealFields]:
    """Validate PUT /v1/projects/{pid}/deals: a list of deals keyed by external id."""
    return _read_upserts(body, "deals", MAX_DEALS_PER_UPSERT, _read_deal,
                         lambda upsert: upsert.external_id)


def read_ignored_pattern(body: object) -> str:
    """Validate `{pattern}`: an address or a domain (matching its subdomains), lower-cased."""
    reader = FieldReader(body)
    pattern = reader.string("pattern", required=True, max_length=320)
    if pattern is not None:
        pattern = pattern.lower().removeprefix("@")
        if "@" in pattern:
            pattern = reader.address("pattern")
        elif not DOMAIN.match(pattern):
            reader.fail("pattern", "must be an email address or a domain")
    reader.finish()
    assert pattern is not None
    return pattern


def read_never_log_address(body: object) -> str:
    """Validate `{address}` of a never-log entry."""
    reader = FieldReader(body)
    address = reader.address("address", required=True)
    reader.finish()
    assert address is not None
    return address


@dataclass(frozen=True, slots=True)
class MatchFields:
    """POST /v1/messages/{id}/match: the address and the contact to log it on."""

    address: str
    contact_id: str | None
    create_name: str | None
    project_id: str | None


def read_match(body: object) -> MatchFields:
    """Validate `{address, contact_id}` or `{address, create: {name}, project_id?}`."""
    reader = FieldReader(body)
    address = reader.string("address", required=True, max_length=320)
    contact_id = reader.string("contact_id", max_length=32)
    create = reader.obj("create")
    create_name = create.string("name", required=True) if create is not None else None
    if create is not None:
        create.reject_unknown()
    project_id = reader.string("project_id", max_length=32)
    if ("contact_id" in reader.body) == ("create" in reader.body):
        reader.fail("contact_id", "give either contact_id or create: {name} (one of them)")
    reader.finish()
    assert address is not None
    return MatchFields(address, contact_id, create_name, project_id)


def read_assignment(body: object) -> list[str]:
    """Validate POST /v1/threads/{id}/assign: `{project_ids}` (at least one)."""
    reader = FieldReader(body)
    project_ids = reader.string_list("project_ids", required=True, max_items=MAX_PROJECT_IDS,
                                     max_length=32)
    if project_ids == []:
        reader.fail("project_ids", "must name at least one project")
    reader.finish()
    assert project_ids is not None
    return list(dict.fromkeys(project_ids))


@dataclass(frozen=True, slots=True)
class WebhookFields:
    """A webhook to create: where to, which events (empty: all), of which projects."""

    url: str
    types: list[str]
    project_ids: list[str]
    description: str


def read_webhook(body: object) -> WebhookFields:
    """Validate POST /v1/webhooks: `{url, types?, project_ids?, description?}`."""
    reader = FieldReader(body)
    url = reader.string("url", required=True, max_length=2000)
    if url is not None and not url.lower().startswith(("http://", "https://")):
        reader.fail("url", "must be an http:// or https:// URL")
    types = reader.string_list("types", max_items=len(EventType), max_length=64) or []
    for index, type_ in enumerate(types):
        if type_ not in set(EventType):
            reader.fail(f"types[{index}]", "must be one of " + ", ".join(EventType))
    project_ids = reader.string_list("project_ids", max_items=MAX_PROJECT_IDS,
                                     max_length=32) or []
    description = reader.string("description", max_length=500, min_length=0) or ""
    reader.finish()
    assert url is not None
    return WebhookFields(url, list(dict.fromkeys(types)), list(dict.fromkeys(project_ids)),
                         description)


def read_privacy(body: object) -> bool:
    """Validate PATCH /v1/interactions/{id}: `{private: true|false}`."""
    reader = FieldReader(body)
    private = reader.boolean("private")
    if private is None and isinstance(body, dict) and "private" not in body:
        reader.fail("private", "is required")
    reader.finish()
    assert private is not None
    return private


@dataclass(frozen=True, slots=True)
class ErasureFields:
    """An erasure request: the address, and the one project to erase it from (or all)."""

    address: str
    project_id: str | None


def read_erasure(body: object) -> ErasureFields:
    """Validate POST /v1/erasures: `{address, project_id?}`."""
    reader = FieldReader(body)
    address = reader.address("address", required=True)
    project_id = reader.string("project_id", max_length=32)
    reader.finish()
    assert address is not None
    return ErasureFields(address, project_id)
