import io
from collections import Counter

import phonenumbers
import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection

from checklists.models import LeadChecklistItem
from leads.models import ActionLog, Lead, Membership, Stage
from leads_project.management.commands.generate_leads import phone_plan


@pytest.fixture
def demo():
    call_command("seed_demo", "--workspace", "Gen Co", stdout=io.StringIO())


def generate(count: int, *extra: str) -> str:
    out = io.StringIO()
    call_command(
        "generate_leads",
        "--workspace",
        "Gen Co",
        "--count",
        str(count),
        "--seed",
        "3",
        "--batch",
        "700",
        *extra,
        stdout=out,
        stderr=io.StringIO(),
    )
    return out.getvalue()


def check_generated(count: int) -> None:
    leads = Lead.objects.filter(
        workspace__name="Gen Co",
        source__in=["Website form", "Google Ads", "Referral", "Trade show", "Cold call", "Import"],
    )
    assert leads.count() == count
    sample = list(
        leads.values(
            "phone", "timezone", "email", "stage__workspace__name", "assignee__role", "phone_last10"
        )
    )
    for row in sample:
        number = phonenumbers.parse(str(row["phone"]))
        assert phonenumbers.is_valid_number(number), row["phone"]
        assert row["timezone"] in phonenumbers.timezone.time_zones_for_number(number)
        assert row["phone_last10"] == str(row["phone"])[-10:]
        assert row["stage__workspace__name"] == "Gen Co"
        assert row["assignee__role"] in (Membership.Role.AGENT, Membership.Role.MANAGER)
    countries = Counter(phonenumbers.parse(str(r["phone"])).country_code for r in sample)
    assert countries[1] > count * 0.7 and len(countries) >= 4
    emails = Counter(r["email"] for r in sample if r["email"])
    assert any(n > 1 for n in emails.values()), "some people should come back"
    assert ActionLog.objects.filter(lead__in=leads, event="lead_created").count() == count
    values = LeadChecklistItem.objects.filter(lead__in=leads).count()
    assert 0 < values < count
    assert (
        len(set(leads.values_list("stage", flat=True)))
        == Stage.objects.filter(workspace__name="Gen Co").count()
    )


@pytest.mark.django_db
def test_it_generates_realistic_leads_with_valid_phones_and_timeline(demo):
    output = generate(2000)
    assert output.startswith("Created 2,000 leads (2,000 timeline entries,")
    check_generated(2000)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)  # two connections write: the data must be committed
def test_it_generates_the_same_kind_of_leads_inside_postgresql(demo):
    assert connection.vendor == "postgresql"
    generate(2000, "--jobs", "2")
    check_generated(2000)


@pytest.mark.django_db
def test_it_needs_an_existing_workspace():
    with pytest.raises(CommandError, match="seed_demo"):
        call_command("generate_leads", "--workspace", "Nope", "--count", "1")


def test_every_number_range_it_draws_from_is_valid():
    plan = phone_plan()
    for prefix, digits, zone in zip(plan.prefixes, plan.digits, plan.zones, strict=True):
        for tail in ("0" * digits, "9" * digits, "5" * digits):
            number = phonenumbers.parse("+" + prefix + tail)
            assert phonenumbers.is_valid_number(number), prefix + tail
        assert zone
