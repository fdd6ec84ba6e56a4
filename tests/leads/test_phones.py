import json

import pytest
from django.core.exceptions import ValidationError

from leads.services.phones import (
    MAX_PHONE_INPUT,
    _normalize,
    phone_match_key,
    phone_normalize,
    phone_search_digits,
)


@pytest.mark.parametrize(
    ("raw", "region", "e164", "zone"),
    [
        ("6782319992", "US", "+16782319992", "America/New_York"),  # US 10-digit (seed 000)
        ("(206) 555-0123", "US", "+12065550123", "America/Los_Angeles"),  # formatted
        ("206.555.0123", "US", "+12065550123", "America/Los_Angeles"),
        ("+1 212 555 0199", "US", "+12125550199", "America/New_York"),
        ("1-312-555-0142", "US", "+13125550142", "America/Chicago"),
        ("+44 20 7946 0958", "US", "+442079460958", "Europe/London"),  # international
        ("0044 20 7946 0958", "US", "+442079460958", "Europe/London"),  # 00 prefix
        ("020 7946 0958", "GB", "+442079460958", "Europe/London"),  # workspace region
        ("+33 6 12 34 56 78", "US", "+33612345678", "Europe/Paris"),
        ("+61 2 9374 4000", "US", "+61293744000", "Australia/Sydney"),
    ],
)
def test_it_normalizes_numbers_to_e164_and_infers_the_zone(raw, region, e164, zone):
    info = phone_normalize(raw, region=region)
    assert info.e164 == e164
    assert info.timezone == zone
    assert info.last10 == e164[-10:]


def test_an_area_code_spanning_zones_lists_them_all_and_picks_the_first():
    info = phone_normalize("+1 208 555 0100", region="US")  # Idaho: Boise and Los Angeles
    assert set(info.timezones) == {"America/Boise", "America/Los_Angeles"}
    assert info.timezone == info.timezones[0]


@pytest.mark.parametrize("raw", ["555", "123456789012345678", "not a phone", "+1 000 000 0000", ""])
def test_it_rejects_what_is_not_a_phone_number_with_a_clear_message(raw):
    with pytest.raises(ValidationError) as err:
        phone_normalize(raw, region="US")
    assert err.value.code == "invalid_phone"
    assert "phone number" in err.value.messages[0]


def test_the_match_key_ignores_country_code_and_punctuation():
    assert phone_match_key("+1 (206) 555-0123") == phone_match_key("2065550123") == "2065550123"


@pytest.mark.parametrize(
    ("text", "digits"),
    [("555-0123", "5550123"), ("(206) 555", "206555"), ("grace", ""), ("12", ""), ("a1234", "")],
)
def test_search_terms_are_read_as_phone_digits_only_when_they_look_like_one(text, digits):
    assert phone_search_digits(text) == digits


def test_a_number_up_to_the_bound_is_read_and_a_longer_text_is_refused_without_echoing_it():
    padded = "+1 206 555 0123".center(MAX_PHONE_INPUT)
    assert phone_normalize(padded, region="US").e164 == "+12065550123"
    cached = _normalize.cache_info().currsize
    with pytest.raises(ValidationError) as err:
        phone_normalize("+1 206 555 0123" + "9" * 400_000, region="US")
    assert err.value.code == "invalid_phone"
    message = err.value.messages[0]
    assert "too long to be a phone number" in message and "at most 64 characters" in message
    assert len(message) < 120  # quotes the start, not 400 KB
    assert _normalize.cache_info().currsize == cached  # never parsed nor cached


def test_an_api_refuses_a_huge_phone_with_a_short_error(client, ws_a, key_a):
    # Pulse quotes the phone's error three times (error, message, fields): 400 KB in gave
    # a 1.2 MB answer.
    response = client.post(
        "/api/leads",
        data=json.dumps({"firstName": "Long", "lastName": "Number", "phone": "1" * 400_000}),
        content_type="application/json",
        headers={"x-api-key": key_a},
    )
    assert response.status_code == 400
    assert "too long to be a phone number" in response.content.decode()
    assert len(response.content) < 2_000
