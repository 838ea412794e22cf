"""Webhook signatures match the Standard Webhooks specification's published example."""

from __future__ import annotations

from datetime import UTC, datetime

from blindcopy.runtime import build_context
from config.settings import Settings
from processing.webhooks import signed_headers
from store.queries.webhooks import ClaimedDelivery
from tests.webhook_receiver import Received, verify_signature

# From the specification (standard-webhooks.md, "Signature scheme").
SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
MESSAGE_ID = "msg_p5jXN8AQM9LWM0D4loKWxJek"
TIMESTAMP = 1614265330
BODY = '{"test": 2432232314}'
SIGNATURE = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="


def test_a_delivery_is_signed_as_the_specifications_example() -> None:
    sent_at = datetime.fromtimestamp(TIMESTAMP, UTC)
    ctx = build_context(Settings(), clock=lambda: sent_at)
    delivery = ClaimedDelivery("d", 1, "https://crm.test/hook", SECRET, MESSAGE_ID,
                               "interaction.logged", sent_at, {})

    headers = signed_headers(delivery, BODY, ctx)

    assert headers == {"content-type": "application/json", "webhook-id": MESSAGE_ID,
                       "webhook-timestamp": str(TIMESTAMP), "webhook-signature": SIGNATURE}


def test_the_receivers_check_accepts_the_example_and_nothing_else() -> None:
    headers = {"webhook-id": MESSAGE_ID, "webhook-timestamp": str(TIMESTAMP),
               "webhook-signature": f"v1,bm90IGl0 {SIGNATURE}"}

    assert verify_signature(SECRET, Received(headers, BODY.encode()))
    assert not verify_signature(SECRET, Received(headers, BODY.encode() + b" "))
