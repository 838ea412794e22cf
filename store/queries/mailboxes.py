"""Mailbox queries: a user's connected mail accounts and the projects they sync to."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from store.errors import NotFound
from store.models import Mailbox, MailboxProject


def get_mailbox(session: Session, mailbox_id: str) -> Mailbox:
    """Return the mailbox or raise NotFound."""
    mailbox = session.get(Mailbox, mailbox_id)
    if mailbox is None:
        raise NotFound(f"Mailbox {mailbox_id} does not exist.")
    return mailbox


def list_mailboxes(session: Session, user_id: str | None = None) -> list[Mailbox]:
    """Return mailboxes by creation order, all of them or one user's."""
    query = select(Mailbox).order_by(Mailbox.created_at, Mailbox.id)
    if user_id is not None:
        query = query.where(Mailbox.user_id == user_id)
    return list((session.scalars(query)).all())


def set_synced_projects(mailbox: Mailbox, project_ids: list[str]) -> None:
    """Make the mailbox sync to exactly `project_ids`, keeping links that stay."""
    wanted = set(project_ids)
    mailbox.projects = [link for link in mailbox.projects if link.project_id in wanted]
    kept = {link.project_id for link in mailbox.projects}
    mailbox.projects.extend(
        MailboxProject(project_id=project_id) for project_id in sorted(wanted - kept)
    )
