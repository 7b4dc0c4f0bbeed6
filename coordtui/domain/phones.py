"""Phone numbers: parse what people type, store E.164, show it nationally."""

from __future__ import annotations

import phonenumbers


class PhoneError(ValueError):
    """Message is user-facing and never contains the number itself."""


def to_e164(raw: str, region: str) -> str:
    """Normalise a typed number to E.164 ('' stays ''); raise PhoneError if invalid."""
    raw = raw.strip()
    if not raw:
        return ""
    try:
        parsed = phonenumbers.parse(raw, region)
    except phonenumbers.NumberParseException:
        raise PhoneError(
            "Not a phone number: use digits, e.g. 617 253 1000 or +44 20 7946 0000."
        ) from None
    if not phonenumbers.is_valid_number(parsed):
        raise PhoneError(
            "This phone number is not valid: check the number of digits and the area code."
        )
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


def display(e164: str, region: str) -> str:
    """National format for the clinic's own region, international otherwise."""
    if not e164:
        return ""
    try:
        parsed = phonenumbers.parse(e164, region)
    except phonenumbers.NumberParseException:
        return e164
    if phonenumbers.region_code_for_number(parsed) == region:
        return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.NATIONAL)
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.INTERNATIONAL)
