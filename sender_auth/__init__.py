"""Sender verification: DKIM, ARC, SPF and DMARC-style alignment over one cached resolver.

Responsible for telling who provably sent a message (SPEC §2). It applies no project policy
and touches no store; DNS trouble raises ``DnsTemporaryFailure`` (retry), never a verdict.
"""

from sender_auth.dkim_coverage import AlignedSignature
from sender_auth.errors import DnsTemporaryFailure
from sender_auth.original import OriginalCheck, check_original
from sender_auth.relays import parse_trusted_relays
from sender_auth.resolver import DnsResolver, parse_dns_servers
from sender_auth.verify import SenderAuthResult, verify_sender

__all__ = [
    "AlignedSignature",
    "DnsResolver",
    "DnsTemporaryFailure",
    "OriginalCheck",
    "SenderAuthResult",
    "check_original",
    "parse_dns_servers",
    "parse_trusted_relays",
    "verify_sender",
]
