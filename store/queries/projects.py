"""Project queries: look up, list and add projects."""

from __future__ import annotations

from collections.abc import Collection

from sqlalchemy import bindparam, select
from sqlalchemy.ext.asyncio import AsyncSession

from store.models import Project
from store.queries.errors import NotFound


async def get_project(session: AsyncSession, project_id: str) -> Project:
    """Return the project or raise NotFound."""
    project = await session.get(Project, project_id)
    if project is None:
        raise NotFound(f"Project {project_id} does not exist.")
    return project


async def list_projects(
    session: AsyncSession, project_ids: Collection[str] | None = None
) -> list[Project]:
    """Return projects by creation order, all of them or only `project_ids`."""
    query = select(Project).order_by(Project.created_at, Project.id)
    if project_ids is not None:
        query = query.where(Project.id.in_(list(project_ids)))
    return list((await session.scalars(query)).all())


_EXISTING_PROJECTS = select(Project.id).where(Project.id.in_(bindparam("ids", expanding=True)))


async def existing_project_ids(session: AsyncSession, project_ids: Collection[str]) -> set[str]:
    """Return which of `project_ids` exist."""
    if not project_ids:
        return set()
    return set((await session.scalars(_EXISTING_PROJECTS, {"ids": list(project_ids)})).all())


async def is_slug_taken(session: AsyncSession, slug: str) -> bool:
    """Tell whether a project already uses `slug`."""
    query = select(Project.id).where(Project.slug == slug)
    return (await session.scalar(query)) is not None
