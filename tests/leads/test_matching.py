"""Duplicate matching by phone: the same number however it is written, never a number of
another country that happens to end with the same ten digits."""

import pytest

from leads.models import Lead
from leads.services.leads import lead_create, lead_matching
from leads.services.matching import lead_find_match
from tests.api.mega.conftest import Mega
from tests.api.omni.conftest import omni

LONDON = "+44 20 7946 0958"  # last ten digits 2079460958
MAINE = "+1 207 946 0958"  # the same last ten digits, another person


@pytest.fixture
def london(ws_a, actor_a) -> Lead:
    return lead_create(
        workspace=ws_a, actor=actor_a, data={"first_name": "Lon", "phone": LONDON}
    ).lead


def test_a_number_of_another_country_with_the_same_last_ten_digits_is_not_a_match(
    ws_a, actor_a, london
):
    assert lead_find_match(ws_a, phone_e164="+12079460958") == (None, None)
    maine = lead_create(
        workspace=ws_a, actor=actor_a, data={"first_name": "Me", "phone": "(207) 946-0958"}
    ).lead
    assert lead_find_match(ws_a, phone_e164="+12079460958") == (maine, "phone")
    assert lead_find_match(ws_a, phone_e164="+442079460958") == (london, "phone")
    assert lead_matching(london) == []


def test_omni_matching_leads_lists_the_same_number_only(client, ws_a, actor_a, key_a, london):
    written_otherwise = lead_create(
        workspace=ws_a, actor=actor_a, data={"first_name": "Me", "phone": "207.946.0958"}
    ).lead
    response = omni(client, "post", "leads", key_a, {"firstName": "Probe", "phoneNumber": MAINE})
    assert response.status_code == 201, response.content
    assert [m["id"] for m in response.json()["matchingLeads"]] == [str(written_otherwise.uuid)]


def test_mega_create_merges_the_same_number_but_not_another_countrys(client, ws_a, key_a, london):
    mega = Mega(client, key_a, ws_a)
    maine = mega.post("leads", {"contact_name": "Pat", "contact_phone": MAINE})
    assert maine.status_code == 201
    assert maine.json()["lead"]["id"] != str(london.uuid)
    assert maine.json()["lead"]["contact_phone"] == "+12079460958"
    again = mega.post("leads", {"contact_phone": "(207) 946-0958", "contact_email": "p@x.com"})
    assert again.json()["lead"]["id"] == maine.json()["lead"]["id"]
    london.refresh_from_db()
    assert (london.first_name, london.email) == ("Lon", "")
    assert Lead.objects.filter(workspace=ws_a).count() == 2
