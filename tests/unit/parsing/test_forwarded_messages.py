"""Forwarded originals: attached, inline, HTML-only, nested (SPEC §3, forwarded mail)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from pathlib import Path

from parsing_builders import a_message

from parsing import ForwardKind, parse_message

GMAIL_FORWARD = """FYI, see below.

---------- Forwarded message ---------
From: Carol Client <carol@Client.TEST>
Date: Thu, 6 April 2023 at 16:17
Subject: Quote for the roof
To: Alice Agent <alice@acme.test>
Cc: Dan <dan@client.test>


Can you send me the quote?

Carol
"""

OUTLOOK_FR_FORWARD = """Pour info

________________________________
De : Carol Client <carol@client.test>
Envoyé : jeudi 6 avril 2023 16:17
À : Alice Agent <alice@acme.test>
Objet : Devis toiture

Bonjour, pouvez-vous m'envoyer le devis ?
"""


def _original() -> EmailMessage:
    return a_message(
        from_="Carol Client <carol@client.test>",
        to="Alice Agent <alice@acme.test>",
        subject="Quote for the roof",
        text="Can you send me the quote?",
        message_id="<original@client.test>",
    )


def _forwarding(original: EmailMessage, subject: str = "Fwd: Quote for the roof") -> EmailMessage:
    outer = a_message(subject=subject, text="See attached.")
    outer.add_attachment(original)
    return outer


def test_attached_original_is_extracted_with_its_message_id() -> None:
    parsed = parse_message(_forwarding(_original()).as_bytes())

    assert parsed.forward_kind is ForwardKind.ATTACHMENT
    original = parsed.forwarded
    assert original is not None
    assert original.message_id == "<original@client.test>"
    assert original.has_message_id
    assert [a.address for a in original.from_] == ["carol@client.test"]
    assert [a.address for a in original.to] == ["alice@acme.test"]
    assert original.subject == "Quote for the roof"
    assert original.text.strip() == "Can you send me the quote?"
    assert parsed.text.strip() == "See attached."


def test_nested_attached_forwards_give_the_innermost_original() -> None:
    middle = _forwarding(_original())
    parsed = parse_message(_forwarding(middle, subject="Fwd: Fwd: Quote").as_bytes())

    assert parsed.forwarded is not None
    assert parsed.forwarded.message_id == "<original@client.test>"


def test_message_global_attachment_is_a_forward() -> None:
    outer = a_message(subject="Fwd: x", text="see")
    outer.add_attachment(_original().as_bytes(), maintype="message", subtype="global")

    parsed = parse_message(outer.as_bytes())

    assert parsed.forward_kind is ForwardKind.ATTACHMENT
    assert parsed.forwarded is not None
    assert parsed.forwarded.from_[0].address == "carol@client.test"


def test_eml_file_attachment_is_a_forward() -> None:
    outer = a_message(subject="Fwd: x", text="see")
    outer.add_attachment(
        _original().as_bytes(), maintype="application", subtype="octet-stream", filename="quote.eml"
    )

    parsed = parse_message(outer.as_bytes())

    assert parsed.forwarded is not None
    assert parsed.forwarded.message_id == "<original@client.test>"


def test_inline_gmail_forward_extracts_the_original() -> None:
    parsed = parse_message(
        a_message(subject="Fwd: Quote for the roof", text=GMAIL_FORWARD).as_bytes()
    )

    assert parsed.forward_kind is ForwardKind.INLINE
    assert parsed.forward_note == "FYI, see below."
    original = parsed.forwarded
    assert original is not None
    assert [(a.address, a.display_name) for a in original.from_] == [
        ("carol@client.test", "Carol Client")
    ]
    assert [a.address for a in original.to] == ["alice@acme.test"]
    assert [a.address for a in original.cc] == ["dan@client.test"]
    assert original.subject == "Quote for the roof"
    # Written without a zone: the forward's own (its Date says +0200), SPEC §12.
    assert original.date == datetime(2023, 4, 6, 14, 17, tzinfo=UTC)
    assert original.date_text == "Thu, 6 April 2023 at 16:17"
    assert original.text.startswith("Can you send me the quote?")
    assert original.preview.startswith("Can you send me the quote?")


def test_inline_original_gets_a_stable_synthetic_message_id() -> None:
    raw = a_message(subject="Fwd: Quote", text=GMAIL_FORWARD).as_bytes()
    again = a_message(subject="Fwd: Quote", text=GMAIL_FORWARD, message_id="<other@x>").as_bytes()

    first, second = parse_message(raw).forwarded, parse_message(again).forwarded

    assert first is not None and second is not None
    assert not first.has_message_id
    assert first.message_id.endswith("@synthetic.blindcopy>")
    assert first.message_id == second.message_id


def test_localized_outlook_forward_is_found_by_its_subject_prefix() -> None:
    parsed = parse_message(
        a_message(subject="TR: Devis toiture", text=OUTLOOK_FR_FORWARD).as_bytes()
    )

    original = parsed.forwarded
    assert original is not None
    assert original.from_[0].address == "carol@client.test"
    assert original.subject == "Devis toiture"
    assert original.text.startswith("Bonjour")
    assert parsed.forward_note == "Pour info"


def test_html_only_forward_is_read_through_its_text() -> None:
    html = GMAIL_FORWARD.replace("<", "&lt;").replace(">", "&gt;").replace("\n", "<br>\n")
    parsed = parse_message(
        a_message(subject="Fwd: Quote", text=None, html=f"<div>{html}</div>").as_bytes()
    )

    assert parsed.forward_kind is ForwardKind.INLINE
    assert parsed.forwarded is not None
    assert parsed.forwarded.from_[0].address == "carol@client.test"


def test_nested_inline_forwards_give_the_innermost_original() -> None:
    inner = GMAIL_FORWARD.replace("carol@Client.TEST", "erin@first.test").replace("FYI", "Older")
    text = GMAIL_FORWARD.replace("Carol\n", "Carol\n\n" + inner)

    parsed = parse_message(a_message(subject="Fwd: Fwd: Quote", text=text).as_bytes())

    assert parsed.forwarded is not None
    assert parsed.forwarded.from_[0].address == "erin@first.test"
    assert parsed.forward_note == "FYI, see below."


def test_reply_quoting_an_outlook_header_block_is_not_a_forward() -> None:
    reply = OUTLOOK_FR_FORWARD.replace("Pour info", "Merci !")

    parsed = parse_message(a_message(subject="RE: Devis toiture", text=reply).as_bytes())

    assert parsed.forwarded is None
    assert parsed.forward_kind is None


def test_plain_message_has_no_forward() -> None:
    parsed = parse_message(a_message().as_bytes())

    assert parsed.forwarded is None
    assert parsed.forward_note == ""


def test_delivery_report_is_not_a_forward() -> None:
    report = EmailMessage()
    report["From"], report["Subject"] = "MAILER-DAEMON@mx.test", "Undelivered"
    report.set_content("could not deliver")
    report.add_attachment(_original())
    report.replace_header("Content-Type", report["Content-Type"].replace("mixed", "report"))

    assert parse_message(report.as_bytes()).forwarded is None


def test_quotequail_html_forward_fixtures_are_read(corpora: Path) -> None:
    files = corpora / "closeio-quotequail" / "tests" / "files"
    expected = {
        "apple_forward.html": "foo@bar.example",
        "gmail_forward.html": "foo@bar.example",
        "thunderbird_forward.html": "johndoe@example.com",
        "mailru_forward.html": "ivanivanov@example.com",
    }
    for name, author in expected.items():
        html = (files / name).read_text(encoding="utf-8")
        parsed = parse_message(a_message(subject="Fwd: x", text=None, html=html).as_bytes())
        assert parsed.forwarded is not None, name
        assert parsed.forwarded.from_[0].address == author, name


def test_flanker_enclosed_messages_are_forwards(corpora: Path) -> None:
    folder = corpora / "mailgun-flanker" / "tests" / "fixtures" / "messages"
    for name in ("enclosed.eml", "enclosed-global.eml", "enclosed-broken.eml"):
        parsed = parse_message((folder / name).read_bytes())
        assert parsed.forward_kind is ForwardKind.ATTACHMENT, name
        assert parsed.forwarded is not None and parsed.forwarded.from_, name


def test_forwarded_date_keeps_its_offset() -> None:
    text = GMAIL_FORWARD.replace("Thu, 6 April 2023 at 16:17", "Thu, 6 Apr 2023 16:17:00 +0200")

    parsed = parse_message(a_message(subject="Fwd: q", text=text).as_bytes())

    assert parsed.forwarded is not None and parsed.forwarded.date is not None
    assert parsed.forwarded.date.utcoffset() == timedelta(hours=2)
