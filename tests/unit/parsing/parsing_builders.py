"""Small message builders for the parser's unit tests."""

from __future__ import annotations

from email.message import EmailMessage


def a_message(
    *,
    from_: str = "Alice Agent <alice@acme.test>",
    to: str = "fwd.k3f9@fwd.example.com",
    subject: str = "Hello",
    text: str | None = "Hi there",
    html: str | None = None,
    message_id: str | None = "<outer@acme.test>",
) -> EmailMessage:
    """Build a small message; text and/or HTML bodies as given."""
    msg = EmailMessage()
    msg["From"], msg["To"], msg["Subject"] = from_, to, subject
    msg["Date"] = "Tue, 04 Apr 2023 10:00:00 +0200"
    if message_id:
        msg["Message-ID"] = message_id
    if text is not None:
        msg.set_content(text)
    if html is not None:
        if text is None:
            msg.set_content(html, subtype="html")
        else:
            msg.add_alternative(html, subtype="html")
    return msg
