"""Every SMTP reply the gateway sends, named by meaning (RFC 5321 codes, RFC 3463 status)."""

ACCEPTED = "250 2.0.0 OK: queued as {id}"
RECIPIENT_OK = "250 2.1.5 OK"
SENDER_OK = "250 2.1.0 OK"
SENDER_TOO_LONG = "553 5.1.7 Sender address too long"
BAD_SENDER_SYNTAX = "553 5.1.7 Sender address contains a NUL or invalid UTF-8"
BAD_RECIPIENT_SYNTAX = "553 5.1.3 Recipient address contains a NUL or invalid UTF-8"
BAD_HELO_SYNTAX = "501 5.5.2 Host name contains a NUL or invalid UTF-8"
UNKNOWN_RECIPIENT = "550 5.1.1 No such project address here"
TOO_MANY_RECIPIENTS = "452 4.5.3 Too many recipients"
SPOOL_UNAVAILABLE = "451 4.3.0 Temporary failure storing the message, try again later"
RECIPIENT_CHECK_UNAVAILABLE = "451 4.3.0 Temporary failure checking the recipient, try again later"
INTERNAL_ERROR = "451 4.3.0 Internal error, try again later"
TOO_MANY_HEADERS = "552 5.3.4 Too many header fields"
HEADERS_TOO_BIG = "552 5.3.4 Header section too big"
MIME_TOO_DEEP = "554 5.6.0 MIME nesting too deep"
TIMED_OUT = "421 4.4.2 Timeout exceeded, closing connection"
SHUTTING_DOWN = "421 4.3.2 Service shutting down, try again later"
TOO_MANY_CONNECTIONS = "421 4.7.0 Too many connections from your address, try again later"
SERVER_BUSY = "421 4.7.0 Too many connections, try again later"
TOO_MANY_FAILED_RECIPIENTS = "421 4.7.0 Too many refused recipients, closing connection"
TLS_ALREADY_ACTIVE = "503 5.5.1 TLS already active"
RATE_LIMITED = "450 4.7.1 Too many messages from your address, slow down"
NO_VALID_RECIPIENTS = "554 5.5.1 No valid recipients"

# aiosmtpd's own error replies carry no enhanced status code (RFC 3463); the gateway adds
# one by reply code so every refusal a client sees is machine-readable.
_ENHANCED_STATUS_BY_CODE = {
    "421": "4.4.2", "451": "4.3.0", "452": "4.3.1", "454": "4.7.0",
    "500": "5.5.2", "501": "5.5.4", "502": "5.5.1", "503": "5.5.1", "504": "5.5.4",
    "530": "5.7.0", "550": "5.1.1", "552": "5.3.4", "553": "5.1.3", "554": "5.6.0",
}


def _has_enhanced_status(text: str) -> bool:
    parts = text.split(" ", 1)[0].split(".")
    return len(parts) == 3 and all(part.isdigit() for part in parts)


def with_enhanced_status(reply: str) -> str:
    """Return a 4xx/5xx reply with an enhanced status code, adding one if it lacks it."""
    code, separator, text = reply.partition(" ")
    if not separator or len(code) != 3 or code[0] not in "45" or _has_enhanced_status(text):
        return reply
    return f"{code} {_ENHANCED_STATUS_BY_CODE.get(code, code[0] + '.0.0')} {text}"
