"""Phone numbers: E.164 normalization, match keys and time zone inference."""

import functools
import re
from dataclasses import dataclass, field

import phonenumbers
from django.core.exceptions import ValidationError
from phonenumber_field.phonenumber import PhoneNumber
from phonenumbers import timezone as phone_timezone

_UNKNOWN_ZONE = "Etc/Unknown"
# No way of writing a phone number needs more (E.164 has at most 15 digits; punctuation,
# spaces and an extension fit well within). Longer input is refused before it is parsed,
# cached or echoed back.
MAX_PHONE_INPUT = 64
# How much of a refused value an error message quotes.
_ECHO = 20


class ValidatedPhoneNumber(PhoneNumber):
    """A number phone_normalize has already validated and formatted: saving it does not
    validate and format it again (that was a third of an import's phone work)."""

    e164 = ""

    def is_valid(self) -> bool:
        return True

    def format_as(self, format: int) -> str:
        if format == phonenumbers.PhoneNumberFormat.E164:
            return self.e164
        return super().format_as(format)


@dataclass(frozen=True)
class PhoneInfo:
    e164: str
    last10: str
    timezones: tuple[str, ...]
    parsed: phonenumbers.PhoneNumber | None = field(default=None, compare=False, repr=False)

    @property
    def timezone(self) -> str:
        """The number's time zone; where an area code spans several, the first listed."""
        return self.timezones[0] if self.timezones else ""

    def phone_number(self) -> PhoneNumber:
        """A fresh PhoneNumber for a model field, without parsing the text again."""
        number = ValidatedPhoneNumber(raw_input=self.e164)
        if self.parsed is not None:
            number.merge_from(self.parsed)
        number.e164 = self.e164
        return number


def phone_normalize(raw: str, *, region: str = "US") -> PhoneInfo:
    """Parse a number written any common way; raise ValidationError when it is not a
    valid phone number. Numbers without a country code are read in `region`."""
    text = (raw or "").strip()
    if len(text) > MAX_PHONE_INPUT:
        raise ValidationError(
            f"“{text[:_ECHO]}…” is too long to be a phone number "
            f"(at most {MAX_PHONE_INPUT} characters).",
            code="invalid_phone",
        )
    result = _normalize(text, region)
    if isinstance(result, PhoneInfo):
        return result
    raise ValidationError(result, code="invalid_phone")


@functools.lru_cache(maxsize=16384)
def _normalize(text: str, region: str) -> "PhoneInfo | str":
    """PhoneInfo, or why the stripped text is not a number. Cached: a batch normalizes each
    number more than once (the match key, then the lead's field), and parsing is the
    costly part; phone_normalize bounds what reaches the cache."""
    if not text:
        return "Enter a phone number."
    international = "+" + text[2:] if text.startswith("00") else text
    try:
        number = phonenumbers.parse(international, region)
    except phonenumbers.NumberParseException:
        return f"“{text}” is not a phone number."
    if not phonenumbers.is_valid_number(number):
        return f"“{text}” is not a valid phone number."
    e164 = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
    zones = tuple(z for z in phone_timezone.time_zones_for_number(number) if z != _UNKNOWN_ZONE)
    return PhoneInfo(e164=e164, last10=phone_match_key(e164), timezones=zones, parsed=number)


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
