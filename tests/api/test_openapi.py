import pytest
from django.core.management import call_command


@pytest.mark.django_db
def test_the_openapi_schema_validates(tmp_path):
    target = tmp_path / "schema.yaml"
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(target))
    text = target.read_text()
    assert "openapi: 3" in text


@pytest.mark.django_db
def test_the_schema_and_its_viewers_are_served_offline(client):
    schema = client.get("/api/schema/", headers={"Accept": "application/json"})
    assert schema.status_code == 200
    assert schema.json()["info"]["title"] == "Leadbook lead API"
    swagger = client.get("/api/docs/")
    assert swagger.status_code == 200
    assert "/static/drf_spectacular_sidecar/swagger-ui-dist/" in swagger.text
    assert "cdn." not in swagger.text and "unpkg" not in swagger.text
    redoc = client.get("/api/redoc/")
    assert redoc.status_code == 200
    assert "/static/drf_spectacular_sidecar/redoc/" in redoc.text
    css = client.get("/static/drf_spectacular_sidecar/swagger-ui-dist/swagger-ui.css")
    assert css.status_code == 200
    css.close()


def family_operations(schema: dict) -> list[tuple[str, str, dict]]:
    return [
        (method.upper(), path, operation)
        for path, operations in schema["paths"].items()
        if path.startswith("/api/")
        for method, operation in operations.items()
    ]


def header_names(operation: dict) -> set[str]:
    return {p["name"] for p in operation.get("parameters", []) if p["in"] == "header"}


def error_schema(operation: dict, status: str) -> str:
    return operation["responses"][status]["content"]["application/json"]["schema"]["$ref"]


FAMILY_ERRORS = {
    "/api/v1/": "OmniError",
    "/api/agents/crm/": "MegaError",
    "/api/user/": "AutocallsError",
    "/api/": "PulseError",  # last: the other families' prefixes are under /api/ too
}


@pytest.mark.django_db
def test_every_operation_declares_what_the_platform_does_to_it(client):
    schema = client.get("/api/schema/", headers={"Accept": "application/json"}).json()
    operations = family_operations(schema)
    assert len(operations) > 40
    for method, path, operation in operations:
        where = f"{method} {path}"
        family_error = next(e for p, e in FAMILY_ERRORS.items() if path.startswith(p))
        for status in ("429", "500"):
            assert error_schema(operation, status).endswith(f"/{family_error}"), where
        assert "Retry-After" in operation["responses"]["429"]["headers"], where
        for response in operation["responses"].values():
            assert {"RateLimit-Limit", "RateLimit-Remaining", "RateLimit-Reset"} <= set(
                response.get("headers", {})
            ), where
        if method in ("POST", "PUT", "PATCH"):
            for status in ("413", "415"):
                assert error_schema(operation, status).endswith(f"/{family_error}"), where
        if path.rstrip("/") != "/api/auth/login":  # the login is the one public operation
            assert {"401", "429"} <= set(operation["responses"]), where
        if family_error == "PulseError":
            assert "x-account-id" in header_names(operation), where
        if family_error == "MegaError":
            assert "x-customer-id" in header_names(operation), where


@pytest.mark.django_db
def test_every_post_but_the_login_declares_idempotency_key(client):
    schema = client.get("/api/schema/", headers={"Accept": "application/json"}).json()
    posts = [(p, o) for m, p, o in family_operations(schema) if m == "POST"]
    without = [
        path for path, operation in posts if "Idempotency-Key" not in header_names(operation)
    ]
    # A login creates nothing: it is the one POST that ignores the header.
    assert without == ["/api/auth/login/"]
    for path, operation in posts:
        if path != "/api/auth/login/":
            assert "409" in operation["responses"], path


@pytest.mark.django_db
def test_only_the_docs_pages_loosen_the_content_security_policy(client):
    def policy(path: str) -> dict[str, str]:
        header = client.get(path)["Content-Security-Policy"]
        return dict(part.strip().split(" ", 1) for part in header.split(";"))

    site = policy("/accounts/login/")
    assert site["script-src"] == site["style-src"] == "'self'" and "worker-src" not in site
    swagger, redoc = policy("/api/docs/"), policy("/api/redoc/")
    assert swagger["script-src"] == "'self'"
    assert swagger["style-src"].startswith("'self' 'nonce-")
    assert redoc["script-src"].startswith("'self' 'nonce-")
    assert redoc["style-src"] == "'self' 'unsafe-inline'"
    assert redoc["worker-src"] == "blob:"
    for page in (swagger, redoc):
        assert page["img-src"] == "'self' data:" and page["default-src"] == "'self'"
    redoc_page = client.get("/api/redoc/").text
    assert "fonts.googleapis" not in redoc_page and "fonts.gstatic" not in redoc_page
