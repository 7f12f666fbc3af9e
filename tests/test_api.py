from tests import factories as f
from workflow.domain import Role, State


def test_nomination_json_in_scope_with_iin_per_role(app, client, auth):
    nomination = f.nomination(State.FORWARDED, region_code="KZ-75")
    iin = nomination.candidate.iin
    auth.login(f.user(Role.SECRETARIAT))
    response = client.get(f"/api/v1/nominations/{nomination.id}")
    assert response.status_code == 200, response.get_data(as_text=True)[:300]
    data = response.get_json()
    assert data["reference_code"] == nomination.reference_code
    assert data["status"] == "forwarded" and data["candidate"]["iin"] == iin
    assert set(data["actions"]) == {"accept", "return", "withdraw"}
    auth.logout()

    auth.login(f.user(Role.COORDINATOR, "KZ-71"))
    response = client.get(f"/api/v1/nominations/{nomination.id}")
    assert response.status_code == 404
    assert response.get_json()["error"] == 404 and response.get_json()["message"]
