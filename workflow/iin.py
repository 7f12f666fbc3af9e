"""The individual identification number (ЖСН / ИИН) and the business one (БСН / БИН).

Twelve digits: YYMMDD, a century-and-sex digit (1/2 = 1800s, 3/4 = 1900s, 5/6 = 2000s; odd
male, even female), four serial digits, and a check digit computed in up to two passes.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

WEIGHTS_FIRST = tuple(range(1, 12))
WEIGHTS_SECOND = (3, 4, 5, 6, 7, 8, 9, 10, 11, 1, 2)
CENTURIES = {1: 1800, 2: 1800, 3: 1900, 4: 1900, 5: 2000, 6: 2000}
_TWELVE_DIGITS = re.compile(r"\d{12}")
# Twelve digits as people and browsers write them: grouped by spaces, dashes, underscores or
# "+", or percent-encoded separators (an address in an access log: "850315%20400015").
_SEPARATOR = r"(?:[\s\-\u2010-\u2015_+]|%[0-9A-Fa-f]{2})"
_IIN_LIKE = re.compile(
    rf"(?:(?<!\d)|(?<=%[0-9A-Fa-f]{{2}}))\d(?:{_SEPARATOR}{{0,3}}\d){{11}}(?!\d)")


class InvalidIIN(ValueError):
    """The number is not a valid IIN; ``reason`` is a key the forms translate."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class IINInfo:
    birth_date: date
    sex: str  # "male" | "female"


def check_digit(digits: str) -> int | None:
    """Return the check digit for the first 11 digits, or None where no digit can be valid."""
    numbers = [int(c) for c in digits[:11]]
    s = sum(d * w for d, w in zip(numbers, WEIGHTS_FIRST, strict=True)) % 11
    if s == 10:
        s = sum(d * w for d, w in zip(numbers, WEIGHTS_SECOND, strict=True)) % 11
        if s == 10:
            return None
    return s


def normalize(value: str | None) -> str:
    """Strip the spaces and dashes people type between digit groups."""
    return re.sub(r"[\s\-]", "", value or "")


def parse_iin(value: str) -> IINInfo:
    """Validate an IIN and return the birth date and sex it encodes.

    :raise InvalidIIN: with reason ``format``, ``century``, ``date`` or ``checksum``.
    """
    value = normalize(value)
    if not _TWELVE_DIGITS.fullmatch(value):
        raise InvalidIIN("format")
    century_digit = int(value[6])
    if century_digit not in CENTURIES:
        raise InvalidIIN("century")
    year = CENTURIES[century_digit] + int(value[0:2])
    try:
        born = date(year, int(value[2:4]), int(value[4:6]))
    except ValueError:
        raise InvalidIIN("date") from None
    if check_digit(value) != int(value[11]):
        raise InvalidIIN("checksum")
    return IINInfo(birth_date=born, sex="male" if century_digit % 2 else "female")


def is_valid_iin(value: str) -> bool:
    try:
        parse_iin(value)
    except InvalidIIN:
        return False
    return True


def validate_bin(value: str) -> str:
    """Validate a BIN (an organisation's number): YYMM, a type digit 4-6, the same check digit.

    :raise InvalidIIN: with reason ``format``, ``date``, ``century`` or ``checksum``.
    """
    value = normalize(value)
    if not _TWELVE_DIGITS.fullmatch(value):
        raise InvalidIIN("format")
    if not 1 <= int(value[2:4]) <= 12:
        raise InvalidIIN("date")
    if value[4] not in "456":
        raise InvalidIIN("century")
    if check_digit(value) != int(value[11]):
        raise InvalidIIN("checksum")
    return value


def mask(value: str | None) -> str:
    """Show only the last four digits: enough to tell two people apart in a list."""
    value = normalize(value)
    if len(value) != 12:
        return "—"
    return "••••••••" + value[-4:]


def looks_like_iin(text: str | None) -> bool:
    """Whether ``text`` holds twelve digits, however grouped: what a search box must not send."""
    return bool(text) and _IIN_LIKE.search(text) is not None


def redact(text: str) -> str:
    """Replace every twelve digits in free text (log lines, comments in e-mails), also when
    they are written in groups ("850315 400015", "8503-1540-0015")."""
    return _IIN_LIKE.sub("[IIN]", text)


def make_iin(birth_date: date, sex: str, serial: int) -> str | None:
    """Compose a valid IIN, or None where this serial has no valid check digit (try the next)."""
    century_digit = {1800: 1, 1900: 3, 2000: 5}[birth_date.year // 100 * 100]
    if sex == "female":
        century_digit += 1
    body = f"{birth_date:%y%m%d}{century_digit}{serial % 10000:04d}"
    digit = check_digit(body)
    return None if digit is None else f"{body}{digit}"
