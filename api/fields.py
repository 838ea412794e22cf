"""A small reader that validates one JSON object field by field and collects every error.

Hand-written rather than a schema library: the request bodies are few and flat, the
errors must come out in our `[{field, message}]` shape, and it adds no dependency. Each
accessor returns the value or None (absent or invalid) and records a FieldError;
`finish()` raises Invalid with all of them at once.
"""

from __future__ import annotations

import re
from collections.abc import Collection
from typing import Any

from store.errors import FieldError, Invalid

ADDRESS = re.compile(r"^[^@\s<>,;\"]+@[a-z0-9](?:[a-z0-9-]*[a-z0-9])?(?:\.[a-z0-9-]+)*$")
SLUG = re.compile(r"^[a-z0-9](?:[a-z0-9-]*[a-z0-9])?$")
DOMAIN = re.compile(r"^[a-z0-9](?:[a-z0-9-]*[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]*[a-z0-9])?)+$")


class FieldReader:
    """Read typed fields from a JSON object, collecting errors with their paths."""

    def __init__(self, body: object, prefix: str = "",
                 errors: list[FieldError] | None = None) -> None:
        self.errors: list[FieldError] = [] if errors is None else errors
        self.prefix = prefix
        self.body: dict[str, Any] = body if isinstance(body, dict) else {}
        self.seen: set[str] = set()
        if not isinstance(body, dict):
            self.fail("", "must be a JSON object")

    def path(self, name: str) -> str:
        """Return the full path of field `name`."""
        return f"{self.prefix}.{name}" if self.prefix and name else (self.prefix or name)

    def fail(self, name: str, message: str) -> None:
        """Record an error for field `name`."""
        self.errors.append(FieldError(self.path(name) or "body", message))

    def _get(self, name: str, required: bool) -> Any:
        self.seen.add(name)
        if name not in self.body:
            if required:
                self.fail(name, "is required")
            return None
        if self.body[name] is None:
            self.fail(name, "must not be null")
        return self.body[name]

    def string(self, name: str, *, required: bool = False, max_length: int = 200,
               min_length: int = 1) -> str | None:
        """Return a string field of bounded length."""
        value = self._get(name, required)
        if value is None:
            return None
        if not isinstance(value, str):
            self.fail(name, "must be a string")
            return None
        if not min_length <= len(value.strip()) <= max_length:
            self.fail(name, f"must be {min_length} to {max_length} characters")
            return None
        if "\x00" in value:
            # PostgreSQL cannot store NUL in text; no field of ours needs one.
            self.fail(name, "must not contain NUL characters")
            return None
        return value.strip()

    def choice(self, name: str, choices: Collection[str], *, required: bool = False) -> str | None:
        """Return a string field that must be one of `choices`."""
        value = self.string(name, required=required)
        if value is not None and value not in choices:
            self.fail(name, "must be one of " + ", ".join(sorted(choices)))
            return None
        return value

    def integer(self, name: str, *, minimum: int, maximum: int) -> int | None:
        """Return an integer field between `minimum` and `maximum`."""
        value = self._get(name, False)
        if value is None:
            return None
        if isinstance(value, int) and not isinstance(value, bool) and minimum <= value <= maximum:
            return value
        self.fail(name, f"must be an integer from {minimum} to {maximum}")
        return None

    def boolean(self, name: str) -> bool | None:
        """Return a boolean field."""
        value = self._get(name, False)
        if value is not None and not isinstance(value, bool):
            self.fail(name, "must be true or false")
            return None
        return value

    def address(self, name: str, *, required: bool = False) -> str | None:
        """Return an email address field, lower-cased."""
        value = self.string(name, required=required, max_length=320)
        if value is not None and not ADDRESS.match(value.lower()):
            self.fail(name, "must be an email address")
            return None
        return None if value is None else value.lower()

    def string_list(self, name: str, *, required: bool = False, max_items: int = 100,
                    max_length: int = 200) -> list[str] | None:
        """Return a list of non-empty strings."""
        value = self._get(name, required)
        if value is None:
            return None
        if not isinstance(value, list) or len(value) > max_items:
            self.fail(name, f"must be a list of at most {max_items} strings")
            return None
        bad = [i for i, item in enumerate(value)
               if not isinstance(item, str) or not 0 < len(item.strip()) <= max_length
               or "\x00" in item]
        for index in bad:
            self.fail(f"{name}[{index}]", f"must be a string of 1 to {max_length} characters")
        return None if bad else [item.strip() for item in value]

    def address_list(self, name: str, *, required: bool = False,
                     max_items: int = 100) -> list[str] | None:
        """Return a list of email addresses, lower-cased and without duplicates."""
        values = self.string_list(name, required=required, max_items=max_items, max_length=320)
        if values is None:
            return None
        bad = [i for i, item in enumerate(values) if not ADDRESS.match(item.lower())]
        for index in bad:
            self.fail(f"{name}[{index}]", "must be an email address")
        return None if bad else list(dict.fromkeys(item.lower() for item in values))

    def obj(self, name: str, *, required: bool = False) -> FieldReader | None:
        """Return a reader for a nested object field sharing this reader's errors."""
        value = self._get(name, required)
        if value is None:
            return None
        return FieldReader(value, self.path(name), self.errors)

    def reject_unknown(self) -> None:
        """Record an error for every field no accessor has read."""
        for name in sorted(set(self.body) - self.seen):
            self.fail(name, "is not a known field")

    def finish(self) -> None:
        """Reject unknown fields and raise Invalid if any field was invalid."""
        self.reject_unknown()
        if self.errors:
            raise Invalid(list(self.errors))
