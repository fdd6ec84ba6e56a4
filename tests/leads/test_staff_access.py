"""Who may open which staff page: anonymous visitors, every role, another workspace."""

import pytest
from django.urls import URLPattern, URLResolver, get_resolver

from leads.views.base import StaffMixin

# The signed document link is its own credential (no sign-in); every other page is staff.
PUBLIC_URL_NAMES = {"document-download"}


def _staff_patterns():
    resolver = get_resolver()
    for entry in resolver.url_patterns:
        if isinstance(entry, URLResolver) and getattr(entry, "namespace", None) in (
            "leads",
            "checklists",
        ):
            yield from (
                p
                for p in entry.url_patterns
                if isinstance(p, URLPattern) and p.name not in PUBLIC_URL_NAMES
            )


def test_every_staff_page_is_built_on_the_staff_mixin():
    views = [p.callback.view_class for p in _staff_patterns()]
    assert views, "no staff URL found"
    assert all(issubclass(view, StaffMixin) for view in views), [
        v.__name__ for v in views if not issubclass(v, StaffMixin)
    ]


@pytest.mark.parametrize(
    "url", ["/", "/leads/", "/leads/new/", "/leads/1/", "/pipeline/", "/leads/export.csv"]
)
def test_anonymous_visitors_are_sent_to_the_login_page(client, db, url):
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"].startswith(f"/accounts/login/?next={url}")


def test_a_signed_in_person_without_a_workspace_is_told_so(client, db):
    from leads.models import User

    user = User.objects.create_user(email="nobody@acme.test", password="x")
    client.force_login(user)
    response = client.get("/leads/")
    assert response.status_code == 403
    assert "not an active member of any workspace" in response.text


# url template, method, {role: expected status}. "{lead}" is a lead assigned to nobody;
# "{bobs}" one assigned to bob; POST bodies are deliberately empty or minimal.
MATRIX = [
    ("/", "get", {"owner": 200, "manager": 200, "agent": 200, "viewer": 200, "stranger": 200}),
    ("/leads/", "get", {"owner": 200, "manager": 200, "agent": 200, "viewer": 200}),
    ("/pipeline/", "get", {"owner": 200, "manager": 200, "agent": 200, "viewer": 200}),
    ("/leads/new/", "get", {"owner": 200, "manager": 200, "agent": 200, "viewer": 403}),
    ("/leads/{lead}/", "get", {"owner": 200, "manager": 200, "agent": 200, "viewer": 200}),
    ("/leads/{mine}/", "get", {"owner": 200, "manager": 200, "agent": 404, "viewer": 200}),
    ("/leads/{lead}/", "get", {"stranger": 404}),
    ("/leads/{lead}/stage/", "post", {"owner": 302, "agent": 302, "viewer": 403}),
    ("/leads/{lead}/stage/", "post", {"stranger": 404}),
    ("/leads/{mine}/stage/", "post", {"agent": 404}),
    ("/leads/{lead}/assign/", "post", {"owner": 302, "manager": 302, "agent": 403}),
    ("/leads/{lead}/opt-out/", "post", {"agent": 302, "viewer": 403, "stranger": 404}),
    ("/leads/{lead}/archive/", "post", {"manager": 302, "agent": 403, "viewer": 403}),
    ("/leads/{lead}/merge/{other}/", "get", {"owner": 200, "agent": 200, "viewer": 403}),
    ("/leads/{lead}/merge/{other}/", "get", {"stranger": 404}),
    ("/leads/bulk/", "post", {"agent": 200, "viewer": 200, "stranger": 302}),
    ("/pipeline/", "post", {"agent": 302, "viewer": 403, "stranger": 404}),
    ("/leads/{lead}/status/", "post", {"agent": 302, "viewer": 403, "stranger": 404}),
    ("/leads/{mine}/status/", "post", {"agent": 404}),
    ("/leads/{lead}/documents/", "post", {"agent": 302, "viewer": 403, "stranger": 404}),
    ("/leads/{lead}/messages/", "post", {"agent": 200, "viewer": 403, "stranger": 404}),
    ("/leads/{mine}/messages/", "post", {"agent": 404, "manager": 200}),
]


@pytest.mark.parametrize(("url", "method", "expected"), MATRIX)
def test_each_role_gets_what_it_may_and_a_stranger_gets_nothing(
    client, ws_a, alice, mia, bob, carol, dave, make_lead, url, method, expected
):
    from leads.models import Stage

    stage = Stage.objects.create(workspace=ws_a, slug="new", name="New")
    lead = make_lead(first_name="Free", email="free@x.test")
    other = make_lead(first_name="Twin", email="free@x.test")
    mine = make_lead(first_name="Alices", assignee=alice)
    people = {"owner": alice, "manager": mia, "agent": bob, "viewer": carol, "stranger": dave}
    body = {
        "stage": stage.pk,
        "assignee": "rotation",
        "opted_out": "true",
        "archived": "true",
        "lead": lead.pk,
        "action": "export",
        "ids": [lead.pk],
    }
    if url == "/leads/bulk/":
        body.pop("assignee")  # the bulk form's assignee is a member, not "rotation"
    for role, status in expected.items():
        client.force_login(people[role].user)
        target = url.format(lead=lead.pk, other=other.pk, mine=mine.pk)
        response = client.get(target) if method == "get" else client.post(target, body)
        assert response.status_code == status, (role, target, response.status_code)


def test_a_viewer_sees_no_edit_controls_on_a_lead(client, carol, make_lead):
    lead = make_lead(first_name="Read", last_name="Only")
    client.force_login(carol.user)
    page = client.get(f"/leads/{lead.pk}/").text
    assert "Read Only" in page
    assert "Save changes" not in page and "Change stage" not in page
    assert "your role cannot change it" in page


def test_a_viewer_cannot_change_a_lead_by_posting_anyway(client, carol, make_lead):
    lead = make_lead(first_name="Before")
    client.force_login(carol.user)
    response = client.post(f"/leads/{lead.pk}/", {"first_name": "After"})
    assert response.status_code == 403
    lead.refresh_from_db()
    assert lead.first_name == "Before"
