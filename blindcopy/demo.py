"""`blindcopy serve --demo`: seed a demo project, a user, contacts and a token (idempotent).

The banner it prints names everything the README's examples use: the ports, the project id,
the addresses, the user's token and the admin token.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from api.auth import hash_token
from config.settings import Settings
from store.database import Store
from store.models import ApiToken, Membership, Project, User
from store.project_addresses import active_addresses, issue_addresses
from store.queries.contacts import ContactUpsert, upsert_contacts

DEMO_SLUG = "acme-homes"
DEMO_USER = "alice@acme.test"
DEMO_CONTACTS = (("c-bob", "Bob Buyer", "bob@client.test"),
                 ("c-carol", "Carol Client", "carol@client.test"))


@dataclass(frozen=True)
class DemoSeed:
    """What the demo printed: addresses and a fresh token."""

    project_id: str
    user_email: str
    bcc: str
    forward: str
    token: str


def _project(session: Session, settings: Settings) -> Project:
    project = (session.execute(
        select(Project).where(Project.slug == DEMO_SLUG))).scalar_one_or_none()
    if project is None:
        # The demo trusts the From header so swaks from localhost is logged without DKIM.
        project = Project(name="Acme Homes", slug=DEMO_SLUG, sender_auth="none", addresses=[])
        session.add(project)
        session.flush()
        issue_addresses(project, settings.secret, settings.mail_domain)
    return project


def _user(session: Session, project: Project) -> User:
    user = (session.execute(
        select(User).where(User.email == DEMO_USER))).scalar_one_or_none()
    if user is None:
        user = User(name="Alice Agent", email=DEMO_USER)
        session.add(user)
        session.flush()
        session.add(Membership(project_id=project.id, user_id=user.id))
        upsert_contacts(session, project.id, [
            ContactUpsert(external_id, name, (address,), user.id)
            for external_id, name, address in DEMO_CONTACTS])
    return user


def seed_demo(store: Store, settings: Settings) -> DemoSeed:
    """Create (once) the demo data and issue a new token for the demo user."""
    with store.write() as session:
        project = _project(session, settings)
        user = _user(session, project)
        token = secrets.token_urlsafe(32)
        session.add(ApiToken(user_id=user.id, token_hash=hash_token(token)))
        session.flush()
        addresses = active_addresses(project)
        return DemoSeed(project.id, user.email, addresses["bcc"], addresses["forward"], token)


def demo_banner(settings: Settings, smtp_port: int, http_port: int, seed: DemoSeed) -> str:
    """Return the lines `serve --demo` prints once it is ready."""
    contacts = ", ".join(address for _id, _name, address in DEMO_CONTACTS)
    return "\n".join([
        "blindcopy demo ready",
        f"  SMTP      {settings.smtp_host}:{smtp_port}",
        f"  API       http://{settings.http_host}:{http_port}",
        f"  console   http://{settings.http_host}:{http_port}/console/",
        f"  project   {seed.project_id}",
        f"  user      {seed.user_email}",
        f"  BCC       {seed.bcc}",
        f"  forward   {seed.forward}",
        f"  token     {seed.token}",
        f"  admin     {settings.admin_token}",
        f"  contacts  {contacts}",
    ])
