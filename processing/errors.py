"""Processing failures: temporary ones are retried without limit, permanent ones end `failed`."""


class TemporaryFailure(Exception):
    """A failure that says nothing about the message (DNS down, store busy): retry later."""


class PermanentFailure(Exception):
    """A failure that retrying cannot fix: keep the message as failed with this error."""


class ClaimLost(Exception):
    """This worker's lease ran out and another worker claimed the message: leave it alone."""
