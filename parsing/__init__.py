"""Bytes → ParsedMessage (SPEC §3). Pure: no I/O, imports nothing else from blindcopy."""

from parsing.addresses import parse_address, parse_address_list
from parsing.inline_forward import InlineForward, parse_inline_forward
from parsing.message import Address, Attachment, ForwardKind, ParsedMessage
from parsing.mime import parse_message
from parsing.preview import clean_preview
from parsing.synthetic_id import synthetic_message_id

__all__ = [
    "Address",
    "Attachment",
    "ForwardKind",
    "InlineForward",
    "ParsedMessage",
    "clean_preview",
    "parse_address",
    "parse_address_list",
    "parse_inline_forward",
    "parse_message",
    "synthetic_message_id",
]
