"""Project queries: look up, list and add projects."""

from __future__ import annotations

from collections.abc import Collection

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from store.errors import NotFound
from store.models import Project


def get_project(session: Session, project_id: str) -> Project:
    """Return the project or raise NotFound."""
    project = session.get(Project, project_id)
    if project is None:
        raise NotFound(f"Project {project_id} does not exist.")
    return project


def list_projects(
    session: Session, project_ids: Collection[str] | None = None
) -> list[Project]:
    """Return projects by creation order, all of them or only `project_ids`."""
    query = select(Project).order_by(Project.created_at, Project.id)
    if project_ids is not None:
        query = query.where(Project.id.in_(list(project_ids)))
    return list((session.scalars(query)).all())


_EXISTING_PROJECTS = select(Project.id).where(Project.id.in_(bindparam("ids", expanding=True)))


def existing_project_ids(session: Session, project_ids: Collection[str]) -> set[str]:
    """Return which of `project_ids` exist."""
    if not project_ids:
        return set()
    return set((session.scalars(_EXISTING_PROJECTS, {"ids": list(project_ids)})).all())


def is_slug_taken(session: Session, slug: str) -> bool:
    """Tell whether a project already uses `slug`."""
    query = select(Project.id).where(Project.slug == slug)
    return (session.scalar(query)) is not None
