"""Bytes → ParsedMessage (SPEC §3). Pure: no I/O, imports nothing else from blindcopy."""

from parsing.addresses import parse_address, parse_address_list
from parsing.message import Address, Attachment, ParsedMessage
from parsing.mime import parse_message

__all__ = [
    "Address",
    "Attachment",
    "ParsedMessage",
    "parse_address",
    "parse_address_list",
    "parse_message",
]
