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
