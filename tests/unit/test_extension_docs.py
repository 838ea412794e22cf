"""The webhook verification code in docs/extension.md works as printed (Python and Node).

The snippets are taken from the document itself and run against a delivery signed the way
blindcopy signs (processing/webhooks.py uses the same signer), and against the same
delivery with its body changed.
"""

from __future__ import annotations

import base64
import json
import re
import secrets
import shutil
import subprocess
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from standardwebhooks.webhooks import Webhook as Signer
from standardwebhooks.webhooks import WebhookVerificationError

GUIDE = Path(__file__).resolve().parents[2] / "docs" / "extension.md"


def snippet(language: str, containing: str) -> str:
    """Return the guide's fenced `language` block that contains `containing`."""
    blocks = re.findall(rf"```{language}\n(.*?)```", GUIDE.read_text(), re.DOTALL)
    [block] = [b for b in blocks if containing in b]
    return block


def delivery() -> tuple[str, bytes, dict[str, str]]:
    """Return a secret, a body and the headers blindcopy would send with it."""
    secret = "whsec_" + base64.b64encode(secrets.token_bytes(24)).decode()
    body = json.dumps({"type": "interaction.logged", "timestamp": "2026-12-03T17:00:00+00:00",
                       "data": {"subject": "Devis signé"}}, ensure_ascii=False).encode()
    now = datetime.now(UTC)
    headers = {"webhook-id": "evt_0123", "webhook-timestamp": str(int(now.timestamp())),
               "webhook-signature": Signer(secret).sign("evt_0123", now, body.decode())}
    return secret, body, headers


def test_the_python_snippet_accepts_a_signed_delivery_and_refuses_a_changed_one() -> None:
    namespace: dict[str, Any] = {}
    exec(snippet("python", "def verified_event"), namespace)  # the guide's code as printed
    secret, body, headers = delivery()
    assert namespace["verified_event"](secret, body, headers)["type"] == "interaction.logged"
    with pytest.raises(WebhookVerificationError):
        namespace["verified_event"](secret, body.replace(b"Devis", b"devis"), headers)


@pytest.mark.skipif(shutil.which("node") is None, reason="Node.js is not installed")
def test_the_javascript_snippet_accepts_a_signed_delivery_and_refuses_a_changed_one(
        tmp_path: Path) -> None:
    (tmp_path / "verify.mjs").write_text(snippet("js", "verifiedEvent"))
    secret, body, headers = delivery()
    encoded = base64.b64encode(body).decode()
    (tmp_path / "check.mjs").write_text(f"""
import {{ verifiedEvent }} from "./verify.mjs";
const body = Buffer.from("{encoded}", "base64");
const headers = {json.dumps(headers)};
console.log(verifiedEvent("{secret}", body, headers).type);
try {{
  verifiedEvent("{secret}", Buffer.concat([body, Buffer.from(" ")]), headers);
  console.log("accepted a changed body");
}} catch (error) {{
  console.log("refused");
}}
""")
    run = subprocess.run(["node", str(tmp_path / "check.mjs")], capture_output=True,
                         text=True, timeout=60, check=True)
    assert run.stdout.split() == ["interaction.logged", "refused"]
