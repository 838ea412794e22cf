"""The bridge that makes pyspf's synchronous DNS lookups go through our async DnsResolver.

pyspf resolves names by calling the module-level hook ``spf.DNSLookup`` — the documented
place to plug in another DNS library. This module installs one hook for the whole process;
the hook finds the resolver and event loop of the current SPF check in a context variable
(``asyncio.to_thread`` copies the context into the worker thread), so concurrent checks with
different resolvers do not mix. Outside such a check it falls back to pyspf's own lookup.
It must not interpret SPF: it only answers queries in the shape pyspf expects.
"""

import asyncio
from collections.abc import Callable, Coroutine, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any

import spf

from sender_auth.errors import DnsTemporaryFailure
from sender_auth.resolver import DnsResolver

# pyspf answer items: ((name, type), value); value shapes follow pyspf's dnspython adapter.
SpfAnswer = list[tuple[tuple[str, str], object]]

# A lookup that waits longer than this has lost its event loop; the resolver's own timeout
# is far shorter, so this only guards against a hang.
BRIDGE_WAIT_SECONDS = 60.0


@dataclass
class SpfDnsBridge:
    """The resolver and loop serving one SPF check, and the DNS failure it met, if any."""

    resolver: DnsResolver
    loop: asyncio.AbstractEventLoop
    failures: list[DnsTemporaryFailure] = field(default_factory=list)


_current: ContextVar[SpfDnsBridge | None] = ContextVar("spf_dns_bridge", default=None)
_pyspf_lookup: Callable[..., SpfAnswer] = spf.DNSLookup


@contextmanager
def bridged(resolver: DnsResolver) -> Iterator[SpfDnsBridge]:
    """Route pyspf lookups made in this context (and threads started from it) to ``resolver``."""
    bridge = SpfDnsBridge(resolver, asyncio.get_running_loop())
    token = _current.set(bridge)
    try:
        yield bridge
    finally:
        _current.reset(token)


def lookup(name: str, qtype: str, strict: object = True, timeout: object = None) -> SpfAnswer:
    """Answer one pyspf query (the ``spf.DNSLookup`` hook); raise spf.TempError on failure."""
    bridge = _current.get()
    if bridge is None:
        return _pyspf_lookup(name, qtype, strict, timeout)
    coroutine = _answer(bridge.resolver, name, qtype)
    try:
        return _run_in_loop(coroutine, bridge.loop)
    except DnsTemporaryFailure as exc:
        bridge.failures.append(exc)
        raise spf.TempError(str(exc)) from exc


def _run_in_loop(coroutine: Coroutine[Any, Any, SpfAnswer], loop: asyncio.AbstractEventLoop
                 ) -> SpfAnswer:
    return asyncio.run_coroutine_threadsafe(coroutine, loop).result(BRIDGE_WAIT_SECONDS)


async def _answer(resolver: DnsResolver, name: str, qtype: str) -> SpfAnswer:
    key = (name, qtype)
    values: list[object]
    if qtype == "TXT":
        values = [(record,) for record in await resolver.txt(name)]
    elif qtype == "A":
        values = list(await resolver.a(name))
    elif qtype == "AAAA":
        values = list(await resolver.aaaa(name))
    elif qtype == "MX":
        values = list(await resolver.mx(name))
    elif qtype == "PTR":
        values = list(await resolver.ptr(name))
    else:
        # Type 99 (SPF) is obsolete (RFC 7208 §3.1) and only asked in pyspf's harsh mode.
        values = []
    return [(key, value) for value in values]


spf.DNSLookup = lookup
