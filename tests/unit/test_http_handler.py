"""The HTTP rules without a socket: routing, who may see what, gzip, ``/probe`` filtering, failures."""

from __future__ import annotations

import base64
import gzip
import logging
from collections.abc import Callable

import bcrypt
import pytest

from otel_ovh.export.exposition import filter_project
from otel_ovh.serve.handler import (
    CONTENT_TYPE,
    REFUSAL_DELAY,
    TEXT,
    Handler,
    Request,
    Response,
    _accepts_gzip,
)
from otel_ovh.settings.web_config import BasicAuth, WebConfig

PROJECT = "0123456789abcdef0123456789abcdef"
OTHER = "fedcba9876543210fedcba9876543210"
EXPOSITION = (
    "# HELP ovh_cloud_cost_total Month-to-date cost.\n"
    "# TYPE ovh_cloud_cost_total counter\n"
    f'ovh_cloud_cost_total{{cloud_account_id="{PROJECT}",ovh_currency="EUR"}} 12.5\n'
    f'ovh_cloud_cost_total{{cloud_account_id="{OTHER}",ovh_currency="EUR"}} 3\n'
    "\n"
    "# HELP ovh_cloud_quota_limit Quota limit.\n"
    "# TYPE ovh_cloud_quota_limit gauge\n"
    f'ovh_cloud_quota_limit{{cloud_account_id="{OTHER}",region="GRA"}} 20\n'
    "# HELP otel_ovh_up Whether the exporter runs.\n"
    "# TYPE otel_ovh_up gauge\n"
    "otel_ovh_up 1\n"
).encode()
SECURITY_HEADERS = {"X-Content-Type-Options": "nosniff", "X-Frame-Options": "deny"}


@pytest.fixture(scope="module")
def basic_auth() -> BasicAuth:
    return BasicAuth({"prometheus": bcrypt.hashpw(b"s3cret", bcrypt.gensalt(rounds=4))})


class Exporter:
    """A handler over a fixed exposition that counts renders, so a test sees whether data was reached."""

    def __init__(
        self,
        web: WebConfig | None = None,
        *,
        ready: str | None = None,
        healthy: Callable[[], str | None] = lambda: None,
        push_only: bool = False,
    ):
        self.renders: list[bool] = []
        render: Callable[[bool], bytes] | None = None if push_only else self._render
        self.handler = Handler(render, healthy=healthy, ready=lambda: ready, web=web or WebConfig())

    def _render(self, compress: bool) -> bytes:
        self.renders.append(compress)
        return gzip.compress(EXPOSITION) if compress else EXPOSITION

    def get(self, target: str, **headers: str) -> Response:
        pairs = [(name.replace("_", "-"), value) for name, value in headers.items()]
        return self.handler.handle(Request.from_target("GET", target, pairs))


def credentials(user: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


def headers(response: Response) -> dict[str, str]:
    return dict(response.headers)


@pytest.mark.parametrize(
    ("target", "status", "content_type", "body_start"),
    [
        ("/metrics", 200, CONTENT_TYPE, b"# HELP ovh_cloud_cost_total"),
        ("/", 200, "text/html; charset=utf-8", b"<html>"),
        ("/healthz", 200, TEXT, b"ok\n"),
        ("/readyz", 200, TEXT, b"ok\n"),
        ("/nope", 404, TEXT, b"not found\n"),
        ("/metrics/", 404, TEXT, b"not found\n"),
        ("/metrics?anything=1", 200, CONTENT_TYPE, b"# HELP"),
    ],
)
def test_routing(target: str, status: int, content_type: str, body_start: bytes) -> None:
    response = Exporter().get(target)
    assert response.status == status
    assert headers(response)["Content-Type"] == content_type
    assert headers(response)["Content-Length"] == str(len(response.body))
    assert response.body.startswith(body_start)
    assert not response.close


def test_readyz_says_why_not_in_one_line_with_503() -> None:
    response = Exporter(ready="not ready: the first refresh\nhas not finished").get("/readyz")
    assert (response.status, response.body) == (503, b"not ready: the first refresh has not finished\n")
    assert Exporter(ready="not ready").get("/healthz").status == 200  # each probe its own check


def test_healthz_says_what_died_and_a_failing_check_is_unhealthy() -> None:
    response = Exporter(healthy=lambda: "refresher thread died (ValueError: x)").get("/healthz")
    assert (response.status, response.body) == (503, b"refresher thread died (ValueError: x)\n")

    def broken() -> str | None:
        raise RuntimeError("bug")

    response = Exporter(healthy=broken).get("/healthz")
    assert (response.status, response.body) == (503, b"cannot tell (RuntimeError)\n")
    response = Exporter(healthy=lambda: "\ud800" * 400).get("/healthz")  # never a 500, whatever it says
    assert response.status == 503 and len(response.body) < 2000


def test_a_check_may_answer_with_a_bare_boolean() -> None:
    handler = Handler(None, healthy=lambda: False, ready=lambda: True)
    answers = [handler.handle(Request.from_target("GET", path)) for path in ("/healthz", "/readyz")]
    assert [(a.status, a.body) for a in answers] == [(503, b"unhealthy\n"), (200, b"ok\n")]


def test_request_headers_are_case_insensitive_and_the_first_repeat_wins() -> None:
    request = Request.from_target(
        "get", "/probe?target=x", [("ACCEPT-Encoding", "gzip"), ("accept-encoding", "br")]
    )
    assert (request.method, request.path, request.query) == ("GET", "/probe", "target=x")
    assert request.header("Accept-Encoding") == "gzip"
    assert request.header("Authorization") == ""


@pytest.mark.parametrize("target", ["/metrics", "/probe?target=" + PROJECT, "/", "/nope", "/metrics/../x"])
def test_without_credentials_every_protected_path_gets_the_same_401_and_nothing_is_rendered(
    basic_auth: BasicAuth, target: str
) -> None:
    exporter = Exporter(WebConfig(basic_auth=basic_auth))
    response = exporter.get(target)
    assert response.status == 401
    assert response.body == b"unauthorized\n"
    assert headers(response)["WWW-Authenticate"] == 'Basic realm="otel-ovh"'
    assert exporter.renders == []


@pytest.mark.parametrize("target", ["/healthz", "/readyz"])
def test_probes_answer_without_credentials(basic_auth: BasicAuth, target: str) -> None:
    response = Exporter(WebConfig(basic_auth=basic_auth)).get(target)
    assert (response.status, response.body) == (200, b"ok\n")
    assert "WWW-Authenticate" not in headers(response)


def test_good_credentials_reach_the_data(basic_auth: BasicAuth) -> None:
    exporter = Exporter(WebConfig(basic_auth=basic_auth))
    response = exporter.get("/metrics", Authorization=credentials("prometheus", "s3cret"))
    assert (response.status, response.body) == (200, EXPOSITION)
    assert exporter.renders == [False]


@pytest.mark.parametrize(
    "authorization",
    [
        credentials("prometheus", "wrong"),
        credentials("nobody", "s3cret"),
        credentials("", "s3cret"),
        "Basic " + base64.b64encode(b"prometheus").decode(),  # no colon
        "Basic !!not-base64!!",
        "Basic " + base64.b64encode(b"\xff\xfe:\xff").decode(),  # not UTF-8
        "Bearer " + base64.b64encode(b"prometheus:s3cret").decode(),
        "Basic",
        "",
    ],
)
def test_wrong_or_malformed_credentials_get_401(basic_auth: BasicAuth, authorization: str) -> None:
    exporter = Exporter(WebConfig(basic_auth=basic_auth))
    response = exporter.get("/metrics", Authorization=authorization)
    assert (response.status, response.body) == (401, b"unauthorized\n")
    assert exporter.renders == []


def test_auth_scheme_is_case_insensitive(basic_auth: BasicAuth) -> None:
    authorization = "basic " + base64.b64encode(b"prometheus:s3cret").decode()
    response = Exporter(WebConfig(basic_auth=basic_auth)).get("/metrics", Authorization=authorization)
    assert response.status == 200


@pytest.mark.parametrize(
    ("accept_encoding", "wants_gzip"),
    [
        ("gzip", True),
        ("GZIP", True),
        ("deflate, gzip;q=0.8", True),
        ("gzip; q=1", True),
        ("gzip;q=0", False),
        ("gzip;q=0.0", False),
        ("gzip;q=nonsense", False),
        ("identity", False),
        ("br, deflate", False),
        ("", False),
    ],
)
def test_gzip_negotiation(accept_encoding: str, wants_gzip: bool) -> None:
    assert _accepts_gzip(accept_encoding) is wants_gzip
    exporter = Exporter()
    response = exporter.get("/metrics", Accept_Encoding=accept_encoding)
    assert exporter.renders == [wants_gzip]
    assert headers(response)["Vary"] == "Accept-Encoding"
    assert headers(response).get("Content-Encoding") == ("gzip" if wants_gzip else None)
    assert (gzip.decompress(response.body) if wants_gzip else response.body) == EXPOSITION


def test_probe_keeps_the_project_and_the_help_and_type_of_its_families_only() -> None:
    exporter = Exporter()
    response = exporter.get(f"/probe?target={PROJECT.upper()}")
    assert response.status == 200
    assert headers(response)["Content-Type"] == CONTENT_TYPE
    assert "Vary" not in headers(response)
    assert exporter.renders == [False]  # filtered from the plain text, never gzip
    assert (
        response.body
        == (
            "# HELP ovh_cloud_cost_total Month-to-date cost.\n"
            "# TYPE ovh_cloud_cost_total counter\n"
            f'ovh_cloud_cost_total{{cloud_account_id="{PROJECT}",ovh_currency="EUR"}} 12.5\n'
        ).encode()
    )


def test_probe_for_the_other_project_keeps_both_its_families() -> None:
    lines = filter_project(EXPOSITION, OTHER).decode().splitlines()
    assert [line for line in lines if line.startswith("# TYPE")] == [
        "# TYPE ovh_cloud_cost_total counter",
        "# TYPE ovh_cloud_quota_limit gauge",
    ]
    assert not any(PROJECT in line or "otel_ovh_up" in line for line in lines)


@pytest.mark.parametrize(
    "target",
    [
        "/probe",
        "/probe?target=",
        "/probe?target=abc",
        f"/probe?target={PROJECT}0",
        "/probe?target=" + "g" * 32,
    ],
)
def test_probe_target_must_be_a_project_id(target: str) -> None:
    exporter = Exporter()
    response = exporter.get(target)
    assert response.status == 400
    assert response.body == b"target must be a project id (32 hexadecimal characters)\n"
    assert exporter.renders == []


@pytest.mark.parametrize("target", ["/metrics", f"/probe?target={PROJECT}"])
def test_push_only_mode_has_no_metrics_endpoint(target: str) -> None:
    response = Exporter(push_only=True).get(target)
    assert response.status == 404
    assert b"prometheus.enabled is false" in response.body
    assert Exporter(push_only=True).get("/healthz").status == 200


@pytest.mark.parametrize(
    ("target", "authorization"),
    [
        ("/metrics", "good"),
        ("/metrics", ""),
        ("/healthz", ""),
        ("/nope", "good"),
        ("/probe?target=x", "good"),
    ],
)
def test_web_config_headers_are_on_every_response(
    basic_auth: BasicAuth, target: str, authorization: str
) -> None:
    exporter = Exporter(WebConfig(basic_auth=basic_auth, headers=SECURITY_HEADERS))
    sent = credentials("prometheus", "s3cret") if authorization else ""
    response = exporter.get(target, Authorization=sent)
    assert SECURITY_HEADERS.items() <= headers(response).items()


def test_an_exception_while_answering_is_a_500_that_closes_the_connection(
    caplog: pytest.LogCaptureFixture,
) -> None:
    def render(compress: bool) -> bytes:
        raise RuntimeError("renderer broke")

    handler = Handler(
        render, healthy=lambda: True, ready=lambda: True, web=WebConfig(headers=SECURITY_HEADERS)
    )
    with caplog.at_level(logging.ERROR, logger="otel_ovh.serve.handler"):
        response = handler.handle(Request.from_target("GET", "/metrics"))
    assert (response.status, response.body, response.close) == (500, b"internal error\n", True)
    assert SECURITY_HEADERS.items() <= headers(response).items()
    assert "answering /metrics failed" in caplog.text


def test_other_methods_are_refused_after_authentication(basic_auth: BasicAuth) -> None:
    exporter = Exporter(WebConfig(basic_auth=basic_auth))
    assert exporter.handler.handle(Request.from_target("POST", "/metrics")).status == 401
    good = [("Authorization", credentials("prometheus", "s3cret"))]
    response = exporter.handler.handle(Request.from_target("POST", "/metrics", good))
    assert (response.status, headers(response)["Allow"]) == (405, "GET, HEAD, OPTIONS")
    assert exporter.handler.handle(Request.from_target("DELETE", "/healthz")).status == 405
    assert exporter.renders == []


@pytest.mark.parametrize(
    "target", ["/metrics", "/probe?target=" + PROJECT, "/", "/healthz", "/readyz", "/nope"]
)
def test_head_gets_the_headers_of_get_and_no_body(target: str) -> None:
    exporter = Exporter()
    get = exporter.handler.handle(Request.from_target("GET", target))
    head = exporter.handler.handle(Request.from_target("HEAD", target))
    assert (head.status, head.headers, head.body) == (get.status, get.headers, b"")
    assert int(headers(head)["Content-Length"]) == len(get.body) > 0


def test_options_lists_the_methods_after_authentication(basic_auth: BasicAuth) -> None:
    exporter = Exporter(WebConfig(basic_auth=basic_auth))
    assert exporter.handler.handle(Request.from_target("OPTIONS", "/metrics")).status == 401
    good = [("Authorization", credentials("prometheus", "s3cret"))]
    response = exporter.handler.handle(Request.from_target("OPTIONS", "/metrics", good))
    assert (response.status, headers(response)["Allow"], response.body) == (200, "GET, HEAD, OPTIONS", b"")
    open_probe = exporter.handler.handle(Request.from_target("OPTIONS", "/healthz"))
    assert (open_probe.status, headers(open_probe)["Allow"]) == (200, "GET, HEAD, OPTIONS")
    assert exporter.renders == []


@pytest.mark.parametrize("fine", [None, True], ids=["no reason", "true"])
def test_probe_of_a_project_not_collected_is_a_404_with_its_reason(fine: bool | None) -> None:
    exporter = Exporter()
    known = Handler(exporter._render, lambda: fine, lambda: fine, projects=lambda: {PROJECT, OTHER})
    assert known.handle(Request.from_target("GET", "/probe?target=" + OTHER)).status == 200
    stranger = "00000000000000000000000000000000"
    response = known.handle(Request.from_target("GET", "/probe?target=" + stranger))
    assert (response.status, response.body) == (
        404,
        f"project {stranger} is not among the projects collected\n".encode(),
    )


@pytest.mark.parametrize("why", [False, "not ready: the first refresh has not finished"])
def test_probe_before_the_first_collection_is_a_503(why: str | bool) -> None:
    starting = Handler(Exporter()._render, lambda: None, lambda: why, projects=frozenset)
    assert starting.handle(Request.from_target("GET", "/probe?target=" + "0" * 32)).status == 503


def test_a_bcrypt_flood_is_told_to_retry_and_a_remembered_scraper_is_not() -> None:
    auth = BasicAuth({"prometheus": bcrypt.hashpw(b"s3cret", bcrypt.gensalt(rounds=4))}, slots=1)
    exporter = Exporter(WebConfig(basic_auth=auth))
    assert exporter.get("/metrics", Authorization=credentials("prometheus", "s3cret")).status == 200
    assert auth._running.acquire(blocking=False)  # the only bcrypt slot is now taken by someone else
    try:
        busy = exporter.get("/metrics", Authorization=credentials("prometheus", "wrong"))
        assert (busy.status, headers(busy)["Retry-After"]) == (503, "1")
        assert exporter.get("/metrics", Authorization=credentials("prometheus", "s3cret")).status == 200
    finally:
        auth._running.release()


def test_refused_credentials_are_answered_late_and_good_ones_at_once(basic_auth: BasicAuth) -> None:
    exporter = Exporter(WebConfig(basic_auth=basic_auth))
    wrong = exporter.get("/metrics", Authorization=credentials("prometheus", "wrong"))
    assert wrong.delay == REFUSAL_DELAY > 0
    assert exporter.get("/metrics").delay == REFUSAL_DELAY
    assert exporter.get("/metrics", Authorization=credentials("prometheus", "s3cret")).delay == 0
    assert exporter.get("/healthz").delay == 0


def test_only_answers_without_bcrypt_or_rendering_are_quick() -> None:
    auth = BasicAuth({"prometheus": bcrypt.hashpw(b"s3cret", bcrypt.gensalt(rounds=4))})
    handler = Exporter(WebConfig(basic_auth=auth)).handler
    good = credentials("prometheus", "s3cret")

    def quick(target: str, **headers: str) -> bool:
        return handler.quick(
            Request.from_target("GET", target, [(k.replace("_", "-"), v) for k, v in headers.items()])
        )

    assert quick("/healthz") and quick("/readyz")
    assert not quick("/metrics", Authorization=good, Accept_Encoding="gzip")  # not yet remembered: bcrypt
    assert handler.handle(Request.from_target("GET", "/metrics", [("Authorization", good)])).status == 200
    assert quick("/metrics", Authorization=good, Accept_Encoding="gzip")  # remembered: a copy of the cache
    assert quick("/metrics", Authorization=good)  # the plain text is shared, decompressed once a snapshot
    assert not quick(f"/probe?target={PROJECT}", Authorization=good)  # filtered
    assert not quick("/metrics", Authorization=credentials("prometheus", "wrong"), Accept_Encoding="gzip")
