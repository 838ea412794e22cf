"""Who may see and change what: admins everything, users only their projects.

A project (or anything inside one) that exists but is not one of the caller's projects
answers 404, exactly like a project that does not exist, so ids do not leak. Resources
only admins may use (creating projects and users, memberships, quarantine, other users'
tokens) answer 403 to a non-admin.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable

from sqlalchemy.orm import Session

from api.caller import Caller
from api.scopes import reads_only_own_captures
from store.errors import FieldError, Forbidden, Invalid, NotFound
from store.models import Project
from store.queries.projects import existing_project_ids, get_project
from store.queries.received import Viewer
from store.queries.users import member_project_ids


def require_admin(caller: Caller) -> None:
    """Raise Forbidden unless the caller is an admin."""
    if not caller.is_admin:
        raise Forbidden("Only an admin may use this resource.")


def require_self_or_admin(caller: Caller, user_id: str) -> None:
    """Raise Forbidden unless the caller is an admin or the user `user_id`."""
    if not caller.is_admin and caller.user_id != user_id:
        raise Forbidden("Only an admin may use this resource for another user.")


def caller_project_ids(session: Session, caller: Caller) -> set[str] | None:
    """Return the ids of the caller's projects, or None for an admin (every project)."""
    if caller.is_admin:
        return None
    if caller.project_ids is not None:  # read with the token, in this request
        return set(caller.project_ids)
    assert caller.user_id is not None
    return member_project_ids(session, caller.user_id)


def viewer(session: Session, caller: Caller) -> Viewer:
    """Return the caller as a Viewer for received-message queries.

    A `log`-only token sees the messages its user captured, not their projects' others.
    """
    if reads_only_own_captures(caller.scopes):
        return Viewer(caller.user_id, frozenset())
    project_ids = caller_project_ids(session, caller)
    return Viewer(caller.user_id, None if project_ids is None else frozenset(project_ids))


def visible_project(session: Session, caller: Caller, project_id: str) -> Project:
    """Return the project if the caller may see it, else raise NotFound."""
    mine = caller_project_ids(session, caller)
    if mine is not None and project_id not in mine:
        raise NotFound(f"Project {project_id} does not exist.")
    return get_project(session, project_id)


def check_project_references(
    session: Session, caller: Caller, field: str, project_ids: Iterable[str]
) -> None:
    """Raise Invalid for each id in a request body that is not a project the caller sees."""
    wanted = list(project_ids)
    if not wanted:
        return
    mine = caller_project_ids(session, caller)
    # A member's projects exist (memberships reference them): one look-up tells either.
    _raise_unless_visible(field, wanted,
                          existing_project_ids(session, wanted) if mine is None else mine)


def checked_without_store(caller: Caller, field: str, project_ids: Iterable[str]) -> bool:
    """Check project references against the projects read with the caller's token.

    Return False, having checked nothing, when that needs the store: an admin sees every
    existing project, and a caller's projects may not have been read.
    """
    wanted = list(project_ids)
    if not wanted:
        return True
    if caller.is_admin or caller.project_ids is None:
        return False
    _raise_unless_visible(field, wanted, caller.project_ids)
    return True


def _raise_unless_visible(field: str, wanted: list[str], visible: Collection[str]) -> None:
    errors = [FieldError(f"{field}[{i}]", f"Project {pid} does not exist.")
              for i, pid in enumerate(wanted) if pid not in visible]
    if errors:
        raise Invalid(errors)
