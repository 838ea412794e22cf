"""Localized words and separators that mark an inline forward (SPEC §3, forwarded mail).

Pure data. The tables come from `email-forward-parser` (a Python port of Crisp's
email-forward-parser, whose rules cover 13 clients in 24 locales); this module adds the
patterns that package misses and exposes every table as an immutable tuple, so the driver
in `parsing.inline_forward` never depends on anything else of that package.
"""

from __future__ import annotations

import re
from re import Pattern

from emailforwardparser import regexs as _crisp

Patterns = tuple[Pattern[str], ...]


def _table(base: list[Pattern[str]], *extra: str) -> Patterns:
    return (*base, *(re.compile(pattern) for pattern in extra))


# A forward prefix on the forwarding message's own Subject ("Fwd:", "WG:", "TR:", "RV:" …).
SUBJECT: Patterns = _table(_crisp.SUBJECT, r"(?m)^FWD:(.*)")

# A reply prefix: a message whose Subject says "Re:" quotes, it does not forward.
REPLY_SUBJECT: Pattern[str] = re.compile(
    r"(?i)^\s*(re|r|sv|aw|antw|odp|ynt|ris|res|odg|atb|svar|отв|ответ|відп)\s*(\[\d+\])?\s*:"
)

# A line that opens the forwarded part ("---------- Forwarded message ---------").
SEPARATOR: Patterns = _table(
    _crisp.SEPARATOR,
    # MailMate (en)
    r"(?m)^\s*Forwarded message\s*:\s*$",
    # Outlook desktop (en, fr, de, es, it, nl, pt)
    r"(?m)^\s*-{2,}\s*(Original Message|Message d'origine|Ursprüngliche Nachricht"
    r"|Mensaje original|Messaggio originale|Oorspronkelijk bericht|Mensagem original)\s*-{2,}\s*$",
    # Mail.ru (ru)
    r"(?m)^\s*-{5,10} Пересылаемое сообщение -{5,10}\s*",
    # Zoho Mail (en)
    r"(?m)^\s*=+\s*Forwarded message\s*=+\s*$",
    # Android/Samsung mail (en, fr, de, es)
    r"(?m)^\s*-{5,}\s*(Original message|Message d'origine|Originalnachricht|Mensaje original)\s*-{5,}\s*$",
)

# "On <date>, "Name" <address> wrote:" lines that carry the author and date themselves.
SEPARATOR_WITH_INFORMATION: Patterns = tuple(_crisp.SEPARATOR_WITH_INFORMATION)

ORIGINAL_SUBJECT: Patterns = tuple(_crisp.ORIGINAL_SUBJECT)
ORIGINAL_SUBJECT_LAX: Patterns = tuple(_crisp.ORIGINAL_SUBJECT_LAX)
ORIGINAL_FROM: Patterns = _table(
    _crisp.ORIGINAL_FROM,
    # Apple Mail (uk)
    r"(?m)^(\s*Від кого\s?:(.+))$",
    # Mail.ru (ru)
    r"(?m)^(\s*От кого\s?:(.+))$",
    # Thunderbird (ro)
    r"(?m)^(\s*[Dd]e la\s?:(.+))$",
)
ORIGINAL_FROM_LAX: Patterns = tuple(_crisp.ORIGINAL_FROM_LAX)
ORIGINAL_TO: Patterns = tuple(_crisp.ORIGINAL_TO)
ORIGINAL_TO_LAX: Patterns = tuple(_crisp.ORIGINAL_TO_LAX)
ORIGINAL_REPLY_TO: Patterns = tuple(_crisp.ORIGINAL_REPLY_TO)
ORIGINAL_CC: Patterns = tuple(_crisp.ORIGINAL_CC)
ORIGINAL_CC_LAX: Patterns = tuple(_crisp.ORIGINAL_CC_LAX)
ORIGINAL_DATE: Patterns = tuple(_crisp.ORIGINAL_DATE)
ORIGINAL_DATE_LAX: Patterns = tuple(_crisp.ORIGINAL_DATE_LAX)

# One mailbox at the start of a header value, in the many shapes clients write them.
MAILBOX: Patterns = tuple(_crisp.MAILBOX)
MAILBOX_ADDRESS: Pattern[str] = re.compile(r"^[^\s@,;<>]+@[^\s@,;<>]+$")

# Quote markers and indentation removed from the forwarded part before reading headers.
QUOTE_LINE_BREAK: Pattern[str] = re.compile(r"(?m)^(>+)(=20)?\s?$")
QUOTE: Pattern[str] = re.compile(r"(?m)^(>+)\s?")
FOUR_SPACES: Pattern[str] = re.compile(r"(?m)^(\ {4})\s?")
