"""Exceptions raised by sender verification.

Only failures that prevent a verdict are exceptions; every verdict (pass, fail, none, …) is
data in the result. Callers retry a message that raised ``DnsTemporaryFailure``.
"""


class DnsTemporaryFailure(Exception):
    """A DNS query timed out or the servers failed (SERVFAIL, refused, unreachable).

    This is never a verdict: the message must be verified again later.
    """
