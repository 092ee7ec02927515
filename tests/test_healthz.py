from django.db import connection
from django.test.utils import CaptureQueriesContext


def test_healthz_answers_ok_after_a_database_round_trip(client, db):
    with CaptureQueriesContext(connection) as queries:
        response = client.get("/healthz")
    assert response.status_code == 200
    assert response.content == b"ok"
    assert any("SELECT 1" in q["sql"] for q in queries.captured_queries)
    assert "no-cache" in response["Cache-Control"] or "max-age=0" in response["Cache-Control"]


def test_healthz_refuses_post(client, db):
    assert client.post("/healthz").status_code == 405
