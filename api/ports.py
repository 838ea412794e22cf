"""The processing port: what the API needs from the processing layer, as a Protocol.

The API never imports `processing` internals; `create_app` receives an object with these
methods (the real one is built in `blindcopy/runtime.py`). Every method returns a decision
as a JSON-able dict `{message_id, received_id, status, outcomes: [...], trace: [...]}` and
may raise the errors of `store.errors` (NotFound, Conflict, Invalid, Unavailable).
"""

from __future__ import annotations

from contextlib import AbstractAsyncContextManager
from typing import Any, Protocol

DecisionJSON = dict[str, Any]


class ProcessingPort(Protocol):
    """Run messages through parse → verify → rules → record on behalf of the API."""

    def admit(self) -> AbstractAsyncContextManager[None]:
        """Hold a place for one synchronous capture; raise Unavailable when saturated."""
        ...

    async def log_message(
        self, raw: bytes, *, user_id: str | None, project_ids: list[str]
    ) -> DecisionJSON:
        """Log a raw RFC 822 message on channel `log` (idempotent) and return its decision."""
        ...

    async def log_structured(
        self, message: dict[str, Any], *, user_id: str | None, project_ids: list[str]
    ) -> DecisionJSON:
        """Log a message given as JSON fields on channel `log` and return its decision."""
        ...

    async def ingest_mailbox_message(self, raw: bytes, *, mailbox_id: str) -> DecisionJSON:
        """Process a raw message synced from a mailbox (channel `sync`)."""
        ...

    async def explain(
        self, raw: bytes, *, channel: str, user_id: str | None, project_ids: list[str]
    ) -> DecisionJSON:
        """Return the decision for a raw message without recording anything."""
        ...

    async def assign_thread(
        self, thread_id: str, project_ids: list[str], *, user_id: str | None
    ) -> DecisionJSON:
        """Assign a pending thread to projects, log what it holds and return the decision."""
        ...

    async def release_quarantined(self, received_id: str) -> DecisionJSON:
        """Process a quarantined message as if it had passed sender authentication."""
        ...

    async def match_address(
        self, received_id: str, address: str, *, contact_id: str | None,
        create_name: str | None, project_id: str | None, user_id: str | None,
        project_ids: frozenset[str] | None,
    ) -> DecisionJSON:
        """Log an address no contact matched on a contact (SPEC §12); return the decision."""
        ...
