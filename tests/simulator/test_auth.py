"""Authentication as python-ovh 1.2.0 meets it: signatures, consumer keys and rules, OAuth2."""

from __future__ import annotations

import time

import ovh
import pytest
import requests
from ovh import exceptions as ovh_errors

from otel_ovh.simulator import SimulatedOvh, World, signature
from tests.simulator.support import ovh_client

# python-ovh's own test vectors (its tests/test_client.py; docs/ovh-api.md §2)
VECTOR_SECRET = "9ufkBmLaTQ9nz5yMUlg79taH0GNnzDjk"
VECTOR_CK = "5mBuy6SUQcRw2ZUxg0cG68BoDKpED4KY"
VECTOR_TS = "1457018875"


@pytest.mark.parametrize(
    ("method", "url", "body", "expected"),
    [
        ("GET", "https://eu.api.ovh.com/1.0/auth", "", "$1$e9556054b6309771395efa467c22e627407461ad"),
        (
            "POST",
            "https://eu.api.ovh.com/1.0/auth",
            '{"a":"b","c":"d"}',
            "$1$ec2fb5c7a81f64723c77d2e5b609ae6f58a84fc1",
        ),
        ("GET", "https://eu.api.ovh.com/1.0/call", "", "$1$7f2db49253edfc41891023fcd1a54cf61db05fbb"),
    ],
)
def test_signature_reproduces_python_ovh_vectors(method: str, url: str, body: str, expected: str) -> None:
    assert signature(VECTOR_SECRET, VECTOR_CK, method, url, body, VECTOR_TS) == expected


def test_signed_calls_succeed(sim: SimulatedOvh, world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    client = ovh_client(sim, monkeypatch)
    assert client.get("/cloud/project") == world.project_ids
    project = world.project_ids[0]
    assert client.get(f"/cloud/project/{project}/storage", includeType=True)[0]["containerType"] is not None
    assert client.get(f"/cloud/project/{project}/instance", region="GRA11") == world.body(
        f"/cloud/project/{project}/instance", {"region": "GRA11"}
    )
    assert sim.call_count(route="/auth/time") == 1  # python-ovh measures the clock offset once


def test_auth_time_is_a_bare_integer_of_the_world_clock(sim: SimulatedOvh, world: World) -> None:
    response = requests.get(f"{sim.url}/auth/time", timeout=5)
    assert response.text == str(world.now())
    assert response.headers["X-Ovh-Queryid"]


def test_wrong_secret_is_an_invalid_signature(sim: SimulatedOvh, monkeypatch: pytest.MonkeyPatch) -> None:
    client = ovh_client(sim, monkeypatch, application_secret="not-the-secret")
    with pytest.raises(ovh_errors.BadParametersError, match="Invalid signature") as caught:
        client.get("/cloud/project")
    assert caught.value.response.status_code == 400
    assert caught.value.response.json()["errorCode"] == "INVALID_SIGNATURE"


def test_a_signature_for_another_url_is_rejected(sim: SimulatedOvh) -> None:
    creds = sim.credentials
    now = str(int(time.time()))
    signed_for = f"{sim.url}/cloud/project?x=1"
    headers = {
        "X-Ovh-Application": creds["application_key"],
        "X-Ovh-Consumer": creds["consumer_key"],
        "X-Ovh-Timestamp": now,
        "X-Ovh-Signature": signature(
            creds["application_secret"], creds["consumer_key"], "GET", signed_for, "", now
        ),
    }
    assert requests.get(signed_for, headers=headers, timeout=5).status_code == 200
    assert requests.get(f"{sim.url}/cloud/project", headers=headers, timeout=5).status_code == 400


def test_unknown_consumer_key_is_not_credential(sim: SimulatedOvh, monkeypatch: pytest.MonkeyPatch) -> None:
    client = ovh_client(sim, monkeypatch, consumer_key="NoSuchConsumerKeyNoSuchConsumerK")
    with pytest.raises(ovh_errors.NotCredential, match="This credential does not exist"):
        client.get("/cloud/project")


def test_unknown_application_key_is_invalid_key(sim: SimulatedOvh, monkeypatch: pytest.MonkeyPatch) -> None:
    client = ovh_client(sim, monkeypatch, application_key="unknownAppKey000")
    with pytest.raises(ovh_errors.InvalidKey):
        client.get("/cloud/project")


def test_unsigned_call_must_login_first(sim: SimulatedOvh) -> None:
    response = requests.get(
        f"{sim.url}/cloud/project",
        headers={"X-Ovh-Application": sim.credentials["application_key"]},
        timeout=5,
    )
    assert response.status_code == 401
    assert response.json() == {"class": "Client::Unauthorized", "message": "You must login first"}


def test_key_without_a_rule_is_not_granted(
    sim: SimulatedOvh, world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    project = world.project_ids[0]
    narrow = sim.auth.new_credential([{"method": "GET", "path": f"/cloud/project/{project}/quota"}])
    sim.auth.validate(narrow.token)
    client = ovh_client(sim, monkeypatch, consumer_key=narrow.consumer_key)
    assert client.get(f"/cloud/project/{project}/quota")
    with pytest.raises(ovh_errors.NotGrantedCall, match="This call has not been granted"):
        client.get(f"/cloud/project/{project}/instance")
    with pytest.raises(ovh_errors.NotGrantedCall):
        client.get("/cloud/project")
    default = ovh_client(sim, monkeypatch)
    with pytest.raises(ovh_errors.NotGrantedCall):  # the default key is read-only
        default.post(f"/cloud/project/{project}/instance", name="x")


def test_consumer_key_request_flow(sim: SimulatedOvh, world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    client = ovh_client(sim, monkeypatch, consumer_key=None)
    request = client.new_consumer_key_request()
    request.add_recursive_rules(ovh.API_READ_ONLY, "/cloud/project")
    answer = request.request()
    assert answer["state"] == "pendingValidation"
    assert answer["validationUrl"].startswith(f"{sim.root_url}/auth/?credentialToken=")
    with pytest.raises(ovh_errors.InvalidCredential, match="This credential is not valid"):
        client.get("/cloud/project")
    page = requests.get(answer["validationUrl"], timeout=5)
    assert page.status_code == 200 and "text/html" in page.headers["Content-Type"]
    assert client.get("/cloud/project") == world.project_ids
    current = client.get("/auth/currentCredential")
    assert current["status"] == "validated"
    assert current["rules"] == [
        {"method": "GET", "path": "/cloud/project"},
        {"method": "GET", "path": "/cloud/project/*"},
    ]
    assert client.get("/auth/details")["allowedRoutes"] == current["rules"]


def test_validation_url_redirects_when_asked(sim: SimulatedOvh, monkeypatch: pytest.MonkeyPatch) -> None:
    client = ovh_client(sim, monkeypatch, consumer_key=None)
    answer = client.request_consumerkey(
        [{"method": "GET", "path": "/cloud/*"}], redirect_url="http://example.test/"
    )
    page = requests.get(answer["validationUrl"], timeout=5, allow_redirects=False)
    assert page.status_code == 303 and page.headers["Location"] == "http://example.test/"
    assert requests.get(f"{sim.root_url}/auth/?credentialToken=nope", timeout=5).status_code == 404


def test_oauth2_client_credentials(sim: SimulatedOvh, world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    client = ovh_client(sim, monkeypatch, oauth2=True)
    assert client.get("/cloud/project") == world.project_ids
    assert (
        client.get(f"/cloud/project/{world.project_ids[0]}/usage/current")["totalPrice"]["currencyCode"]
        == "EUR"
    )
    assert client.get("/auth/details")["method"] == "oauth2_client_credentials"
    assert sim.call_count(route="/auth/oauth2/token") == 1
    assert sim.call_count(route="/auth/time") == 0


def test_oauth2_token_answer(sim: SimulatedOvh) -> None:
    creds = sim.oauth2_credentials
    response = requests.post(
        sim.oauth2_token_url,
        auth=(creds["client_id"], creds["client_secret"]),
        data={"grant_type": "client_credentials", "scope": "all"},
        timeout=5,
    )
    token = response.json()
    assert token.keys() == {"access_token", "token_type", "expires_in", "scope"}
    assert (token["token_type"], token["scope"]) == ("Bearer", "all")
    api = requests.get(
        f"{sim.url}/cloud/project", headers={"Authorization": f"Bearer {token['access_token']}"}, timeout=5
    )
    assert api.status_code == 200
    bogus = requests.get(f"{sim.url}/cloud/project", headers={"Authorization": "Bearer bogus"}, timeout=5)
    assert bogus.status_code == 401


def test_oauth2_wrong_secret_fails(sim: SimulatedOvh, monkeypatch: pytest.MonkeyPatch) -> None:
    client = ovh_client(sim, monkeypatch, oauth2=True, client_secret="wrong")
    with pytest.raises(ovh_errors.OAuth2FailureError, match="invalid_client"):
        client.get("/cloud/project")


def test_oauth2_expired_token_is_fetched_again(sim: SimulatedOvh, monkeypatch: pytest.MonkeyPatch) -> None:
    sim.auth.token_lifetime = 1
    client = ovh_client(sim, monkeypatch, oauth2=True)
    client.get("/cloud/project")
    time.sleep(1.6)  # oauthlib rounds the issue time to the second: past 1.5 s the client always refetches
    client.get("/cloud/project")
    assert sim.call_count(route="/auth/oauth2/token") == 2


def test_every_answer_has_a_query_id(sim: SimulatedOvh) -> None:
    answers = [
        requests.get(f"{sim.url}/cloud/project", timeout=5),
        requests.get(f"{sim.url}/no/such/path", timeout=5),
        requests.post(sim.oauth2_token_url, data={}, timeout=5),
    ]
    ids = [a.headers.get("X-Ovh-Queryid") for a in answers]
    assert all(ids) and len(set(ids)) == len(ids)
