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
