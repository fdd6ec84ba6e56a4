"""Merging two matching leads and undoing it: the service and the pages."""

import pytest
from django.core.exceptions import ValidationError

from campaigns.models import Campaign, CampaignLead
from checklists.models import ChecklistItem, LeadChecklistItem
from leads.actors import Actor
from leads.models import ActionLog, Lead, Stage
from leads.services.leads import lead_update
from leads.services.merge import lead_merge, lead_merge_undo, merge_field_choices


@pytest.fixture
def pair(ws_a, make_lead):
    new = Stage.objects.create(workspace=ws_a, slug="new", name="New")
    survivor = make_lead(
        first_name="Ada", last_name="", email="ada@x.test", phone="6782319992", tags=["a"]
    )
    merged = make_lead(
        first_name="Ada",
        last_name="Lovelace",
        email="ada@x.test",
        company="Engines",
        stage=new,
        tags=["b"],
        opted_out=True,
    )
    return survivor, merged


def test_merge_takes_the_chosen_values_and_moves_everything_over(ws_a, actor_a, pair):
    survivor, merged = pair
    item = ChecklistItem.objects.create(workspace=ws_a, code="tax", label="Tax id")
    value = LeadChecklistItem.objects.create(workspace=ws_a, lead=merged, item=item, value="1")
    campaign = Campaign.objects.create(workspace=ws_a, name="C", timezone="UTC")
    entry = CampaignLead.objects.create(
        workspace=ws_a, campaign=campaign, lead=merged, phone="+16782319992"
    )
    merged_history = list(ActionLog.objects.filter(lead=merged).values_list("pk", flat=True))

    log = lead_merge(survivor=survivor, merged=merged, actor=actor_a, choices={"stage": "survivor"})

    survivor.refresh_from_db()
    merged.refresh_from_db()
    assert (survivor.last_name, survivor.company, survivor.stage) == ("Lovelace", "Engines", None)
    assert sorted(survivor.tags.values_list("name", flat=True)) == ["a", "b"]
    assert survivor.opted_out_at is not None  # consent carries over
    assert merged.merged_into == survivor and merged.archived_at is not None
    value.refresh_from_db()
    entry.refresh_from_db()
    assert value.lead == survivor and entry.lead == survivor
    assert set(merged_history) <= set(
        ActionLog.objects.filter(lead=survivor).values_list("pk", flat=True)
    )
    assert log.type == "MERGE" and log.input["mergedLead"] == merged.pk
    assert ActionLog.objects.filter(lead=merged, event="lead_merged_into").count() == 1


def test_a_checklist_value_the_survivor_already_has_stays_behind(ws_a, actor_a, pair):
    survivor, merged = pair
    item = ChecklistItem.objects.create(workspace=ws_a, code="tax", label="Tax id")
    LeadChecklistItem.objects.create(workspace=ws_a, lead=survivor, item=item, value="mine")
    theirs = LeadChecklistItem.objects.create(workspace=ws_a, lead=merged, item=item, value="x")
    lead_merge(survivor=survivor, merged=merged, actor=actor_a, choices={})
    theirs.refresh_from_db()
    assert theirs.lead == merged


def test_undo_puts_both_leads_back(ws_a, actor_a, pair):
    survivor, merged = pair
    item = ChecklistItem.objects.create(workspace=ws_a, code="tax", label="Tax id")
    value = LeadChecklistItem.objects.create(workspace=ws_a, lead=merged, item=item, value="1")
    log = lead_merge(survivor=survivor, merged=merged, actor=actor_a, choices={})

    lead_merge_undo(log=log, actor=actor_a)

    survivor.refresh_from_db()
    merged.refresh_from_db()
    value.refresh_from_db()
    assert (survivor.last_name, survivor.company, survivor.opted_out_at) == ("", "", None)
    assert list(survivor.tags.values_list("name", flat=True)) == ["a"]
    assert merged.merged_into is None and merged.archived_at is None
    assert value.lead == merged
    assert ActionLog.objects.filter(lead=merged, event="lead_created").exists()
    with pytest.raises(ValidationError, match="already undone"):
        lead_merge_undo(log=log, actor=actor_a)


def test_undo_keeps_a_value_edited_after_the_merge(actor_a, pair):
    survivor, merged = pair
    log = lead_merge(survivor=survivor, merged=merged, actor=actor_a, choices={})
    lead_update(lead=survivor, actor=actor_a, data={"company": "Edited later"})
    undo = lead_merge_undo(log=log, actor=actor_a)
    survivor.refresh_from_db()
    assert survivor.company == "Edited later" and survivor.last_name == ""
    assert "company" in undo.summary


def test_merged_leads_no_longer_match_incoming_duplicates(ws_a, actor_a, pair):
    from leads.services.matching import lead_find_match

    survivor, merged = pair
    lead_merge(survivor=merged, merged=survivor, actor=actor_a, choices={})
    match, _ = lead_find_match(ws_a, email="ada@x.test")
    assert match == merged


def test_merging_across_workspaces_or_twice_is_refused(actor_a, pair, make_lead, ws_b):
    survivor, merged = pair
    foreign = make_lead(workspace=ws_b, first_name="F")
    with pytest.raises(ValidationError):
        lead_merge(survivor=survivor, merged=foreign, actor=actor_a, choices={})
    lead_merge(survivor=survivor, merged=merged, actor=actor_a, choices={})
    merged.refresh_from_db()
    with pytest.raises(ValidationError, match="already merged"):
        lead_merge(survivor=survivor, merged=merged, actor=actor_a, choices={})


def test_the_merge_pages_choose_review_and_confirm(client, alice, pair):
    survivor, merged = pair
    client.force_login(alice.user)
    url = f"/leads/{survivor.pk}/merge/{merged.pk}/"
    choose = client.get(url)
    assert choose.status_code == 200
    defaults = {c.name: c.default for c in merge_field_choices(survivor, merged)}
    assert "last_name" in defaults and "company" in defaults and "first_name" not in defaults
    assert "1 timeline entry" in choose.text
    chosen = {**defaults, "last_name": "merged", "company": "survivor"}
    review = client.post(url, {"step": "review", **chosen})
    assert "Step 2 of 2" in review.text and "Lovelace" in review.text
    assert Lead.objects.get(pk=merged.pk).merged_into is None  # nothing happened yet
    done = client.post(url, {"step": "confirm", **chosen})
    assert done["Location"] == f"/leads/{survivor.pk}/"
    survivor.refresh_from_db()
    assert (survivor.last_name, survivor.company) == ("Lovelace", "")
    page = client.get(f"/leads/{survivor.pk}/").text
    assert "Undo this merge" in page
    log = ActionLog.objects.get(lead=survivor, event="lead_merged")
    client.post(f"/leads/{survivor.pk}/merges/{log.pk}/undo/")
    assert Lead.objects.get(pk=merged.pk).merged_into is None
    assert "Undo this merge" not in client.get(f"/leads/{survivor.pk}/").text


def test_a_merge_choice_that_is_not_keep_or_take_is_refused(client, alice, pair):
    survivor, merged = pair
    client.force_login(alice.user)
    response = client.post(
        f"/leads/{survivor.pk}/merge/{merged.pk}/", {"step": "confirm", "last_name": "both"}
    )
    assert response.status_code == 422
    assert Lead.objects.get(pk=merged.pk).merged_into is None


def test_undo_of_another_workspaces_merge_is_a_404(client, dave, actor_a, pair):
    survivor, merged = pair
    log = lead_merge(survivor=survivor, merged=merged, actor=actor_a, choices={})
    client.force_login(dave.user)
    assert client.post(f"/leads/{survivor.pk}/merges/{log.pk}/undo/").status_code == 404
    assert Lead.objects.get(pk=merged.pk).merged_into == survivor


def test_merge_through_an_agent_requires_both_leads_visible(client, bob, alice, pair):
    survivor, merged = pair
    lead_update(lead=merged, actor=Actor.system(), data={"assignee": alice})
    client.force_login(bob.user)
    assert client.get(f"/leads/{survivor.pk}/merge/{merged.pk}/").status_code == 404


def test_an_agent_is_not_shown_a_colleagues_lead_among_the_matches(client, bob, alice, pair):
    survivor, merged = pair
    lead_update(lead=merged, actor=Actor.system(), data={"assignee": alice, "first_name": "Zelda"})
    client.force_login(alice.user)
    assert f"/leads/{survivor.pk}/merge/{merged.pk}/" in client.get(f"/leads/{survivor.pk}/").text
    client.force_login(bob.user)
    page = client.get(f"/leads/{survivor.pk}/").text
    assert "Zelda" not in page and f"/leads/{merged.pk}/" not in page
    assert "No other lead shares this email or phone." in page
    lead_update(lead=merged, actor=Actor.system(), data={"assignee": bob})
    assert f"/leads/{merged.pk}/" in client.get(f"/leads/{survivor.pk}/").text


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_people_merging_the_same_pair_at_once_get_exactly_one_merge(ws_a, alice, make_lead):
    from tests.concurrency import run_in_threads

    first = make_lead(first_name="One", email="same@x.test")
    second = make_lead(first_name="Two", email="same@x.test")
    actor = Actor(user=alice.user, membership=alice, source="manual")

    def merge(n: int) -> str:
        survivor, merged = (first, second) if n % 2 == 0 else (second, first)
        try:
            lead_merge(
                survivor=Lead.objects.get(pk=survivor.pk),
                merged=Lead.objects.get(pk=merged.pk),
                actor=actor,
                choices={},
            )
            return "merged"
        except ValidationError:
            return "refused"

    results, errors = run_in_threads(4, merge)
    assert errors == []
    assert sorted(results) == ["merged", "refused", "refused", "refused"]
    assert Lead.objects.filter(pk__in=[first.pk, second.pk], merged_into__isnull=False).count() == 1
    assert ActionLog.objects.filter(event="lead_merged").count() == 1
