"""Phone numbers: E.164 normalization, match keys and time zone inference."""

import re
from dataclasses import dataclass

import phonenumbers
from django.core.exceptions import ValidationError
from phonenumbers import timezone as phone_timezone

_UNKNOWN_ZONE = "Etc/Unknown"


@dataclass(frozen=True)
class PhoneInfo:
    e164: str
    last10: str
    timezones: tuple[str, ...]

    @property
    def timezone(self) -> str:
        """The number's time zone; where an area code spans several, the first listed."""
        return self.timezones[0] if self.timezones else ""


def phone_normalize(raw: str, *, region: str = "US") -> PhoneInfo:
    """Parse a number written any common way; raise ValidationError when it is not a
    valid phone number. Numbers without a country code are read in `region`."""
    text = (raw or "").strip()
    if not text:
        raise ValidationError("Enter a phone number.", code="invalid_phone")
    if text.startswith("00"):
        text = "+" + text[2:]
    try:
        number = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException:
        raise ValidationError(f"“{raw}” is not a phone number.", code="invalid_phone") from None
    if not phonenumbers.is_valid_number(number):
        raise ValidationError(f"“{raw}” is not a valid phone number.", code="invalid_phone")
    e164 = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
    zones = tuple(z for z in phone_timezone.time_zones_for_number(number) if z != _UNKNOWN_ZONE)
    return PhoneInfo(e164=e164, last10=phone_match_key(e164), timezones=zones)


def phone_match_key(value: str) -> str:
    """The last ten digits: how the same number written with or without a country code,
    spaces or punctuation is recognised."""
    digits = re.sub(r"\D", "", value or "")
    return digits[-10:]


def phone_search_digits(text: str) -> str:
    """Digits of a search term when it looks like a phone number (at least 4 digits and
    nothing but phone punctuation), else empty."""
    if not re.fullmatch(r"[\d\s()+.\-]+", text or ""):
        return ""
    digits = re.sub(r"\D", "", text)
    return digits if len(digits) >= 4 else ""
