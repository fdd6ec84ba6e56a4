"""lead_bulk_upsert's options used by imports: always create, creation defaults, timeline
extras, and matching that skips merged-away leads."""

from leads.models import ActionLog, Lead
from leads.services.bulk import lead_bulk_upsert


def test_create_makes_a_new_lead_even_for_a_duplicate(ws_a, actor_a, make_lead):
    make_lead(first_name="Old", email="same@x.test")
    results = lead_bulk_upsert(
        workspace=ws_a,
        actor=actor_a,
        rows=[
            {"first_name": "New", "email": "SAME@x.test"},
            {"first_name": "Again", "email": "same@x.test"},
        ],
        on_duplicate="create",
    )
    assert [r.outcome for r in results] == ["created", "created"]
    assert Lead.objects.filter(email_normalized="same@x.test").count() == 3


def test_creation_defaults_apply_to_new_leads_only(ws_a, actor_a, bob, make_lead):
    existing = make_lead(first_name="Old", email="old@x.test")
    results = lead_bulk_upsert(
        workspace=ws_a,
        actor=actor_a,
        rows=[{"email": "old@x.test", "company": "Co"}, {"email": "new@x.test"}],
        create_defaults={"assignee": bob, "source_type": "import"},
        log_extra={"importId": 7},
    )
    existing.refresh_from_db()
    assert (existing.assignee, existing.source_type, existing.company) == (None, "", "Co")
    new = results[1].lead
    assert (new.assignee, new.source_type) == (bob, "import")
    assert ActionLog.objects.get(lead=new, event="lead_created").input["importId"] == 7
    assert ActionLog.objects.get(lead=existing, event="lead_merged").input["importId"] == 7


def test_a_duplicate_goes_to_the_survivor_of_a_merge_not_the_merged_lead(ws_a, actor_a, make_lead):
    merged = make_lead(first_name="Gone", email="twin@x.test")
    survivor = make_lead(first_name="Kept", email="twin@x.test")
    Lead.objects.filter(pk=merged.pk).update(merged_into=survivor)
    results = lead_bulk_upsert(
        workspace=ws_a, actor=actor_a, rows=[{"email": "twin@x.test", "company": "Co"}]
    )
    assert results[0].lead.pk == survivor.pk


def test_a_phone_matches_only_the_same_number_not_the_same_last_ten_digits(
    ws_a, actor_a, make_lead
):
    london = make_lead(first_name="Brit", phone="+442079460958")
    results = lead_bulk_upsert(
        workspace=ws_a,
        actor=actor_a,
        rows=[
            # Maine: the same last ten digits as the London lead, another person.
            {"first_name": "Maine", "phone": "+1 207 946 0958"},
            {"first_name": "Brit again", "phone": "+44 20 7946 0958", "company": "Co"},
            {"first_name": "Maine again", "phone": "(207) 946-0958"},
        ],
    )
    assert [(r.outcome, r.matched_by) for r in results] == [
        ("created", None),
        ("updated", "phone"),
        ("updated", "phone"),
    ]
    maine = results[0].lead
    assert results[1].lead.pk == london.pk
    assert results[2].lead.pk == maine.pk != london.pk
    assert str(Lead.objects.get(pk=maine.pk).phone) == "+12079460958"


def test_a_whole_name_replaces_the_name_and_a_first_name_alone_only_the_first(
    ws_a, actor_a, make_lead
):
    alice = make_lead(first_name="Alice", last_name="Smith", email="al@x.test")
    first_only = lead_bulk_upsert(
        workspace=ws_a, actor=actor_a, rows=[{"first_name": "Ally", "email": "al@x.test"}]
    )
    assert (first_only[0].lead.first_name, first_only[0].lead.last_name) == ("Ally", "Smith")
    whole = lead_bulk_upsert(
        workspace=ws_a,
        actor=actor_a,
        rows=[{"first_name": "Bob", "last_name": "", "email": "al@x.test"}],
    )
    assert whole[0].lead.pk == alice.pk
    assert (whole[0].lead.first_name, whole[0].lead.last_name) == ("Bob", "")
