"""HTTP as a client sees it on a real ``otel-ovh serve``: HEAD, OPTIONS, bodies, auth timing, /probe.

Each request goes over ``http.client`` on one kept-alive connection where that matters: a HEAD answered
with a body, or a request body left unread, would make the next answer on that connection unreadable.
"""

from __future__ import annotations

import http.client
import socket
import statistics
import time
from collections.abc import Iterator

import pytest

from otel_ovh.simulator import SimulatedOvh
from tests.security.support import (
    Served,
    basic,
    htpasswd_hash,
    raw_answer,
    sim_env,
    start_serve,
    write_web_config,
)

USERS = {"cheap": ("cheap-password", 4), "costly": ("costly-password", 9)}
GET_PATHS = ["/metrics", "/probe?target={project}", "/", "/healthz", "/readyz", "/nope"]


@pytest.fixture(scope="module")
def served(sim: SimulatedOvh, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    """Two users whose hashes have different bcrypt costs."""
    home = tmp_path_factory.mktemp("semantics")
    users = {name: htpasswd_hash(password, rounds=cost) for name, (password, cost) in USERS.items()}
    web = write_web_config(home / "web.yml", {"basic_auth_users": users})
    process = start_serve(home / "serve", sim_env(sim, home, OTEL_OVH_PROMETHEUS__WEB_CONFIG_FILE=str(web)))
    yield process
    process.stop()
    assert "Traceback" not in process.output(), process.output()


@pytest.fixture
def connection(served: Served) -> Iterator[http.client.HTTPConnection]:
    client = http.client.HTTPConnection("127.0.0.1", served.port, timeout=10)
    yield client
    client.close()


AUTH = basic("cheap", USERS["cheap"][0])


def ask(
    client: http.client.HTTPConnection, method: str, path: str, body: bytes | None = None, **headers: str
) -> tuple[int, dict[str, str], bytes]:
    client.request(method, path, body=body, headers={**AUTH, **headers})
    response = client.getresponse()
    return response.status, {k.lower(): v for k, v in response.getheaders()}, response.read()


@pytest.mark.parametrize("path", GET_PATHS)
def test_head_has_the_headers_of_get_and_no_body(
    served: Served, sim: SimulatedOvh, connection: http.client.HTTPConnection, path: str
) -> None:
    path = path.format(project=sim.world.project_ids[0])
    head_status, head_headers, head_body = ask(connection, "HEAD", path)
    # Same connection: a body after the HEAD answer would be read here as the next status line.
    status, headers, body = ask(connection, "GET", path)
    assert (head_status, head_body) == (status, b"")
    head_headers.pop("date"), headers.pop("date")
    assert head_headers == headers
    assert int(headers["content-length"]) == len(body) > 0


def test_options_and_other_methods_get_a_proper_answer(
    served: Served, connection: http.client.HTTPConnection
) -> None:
    status, headers, body = ask(connection, "OPTIONS", "/metrics")
    assert (status, headers["allow"], body) == (200, "GET, HEAD, OPTIONS", b"")
    for method in ("DELETE", "PUT", "PATCH", "TRACE"):
        status, headers, _ = ask(connection, method, "/metrics")
        assert (status, headers["allow"]) == (405, "GET, HEAD, OPTIONS"), method
    anonymous = http.client.HTTPConnection("127.0.0.1", served.port, timeout=10)
    try:
        for path, expected in (("/healthz", 200), ("/metrics", 401)):  # probes stay open
            anonymous.request("OPTIONS", path)
            response = anonymous.getresponse()
            response.read()
            assert response.status == expected, path
    finally:
        anonymous.close()


def test_a_small_body_is_consumed_and_the_connection_stays_usable(
    connection: http.client.HTTPConnection,
) -> None:
    status, _, _ = ask(connection, "POST", "/metrics", b"x" * 5000)
    assert status == 405
    status, _, body = ask(connection, "GET", "/healthz")
    assert (status, body) == (200, b"ok\n")
    connection.putrequest("POST", "/metrics")
    connection.putheader("Authorization", AUTH["Authorization"])
    connection.putheader("Transfer-Encoding", "chunked")
    connection.endheaders(b"5\r\nhello\r\n0\r\n\r\n")
    assert connection.getresponse().read() and ask(connection, "GET", "/healthz")[0] == 200


def test_a_large_body_is_refused_before_it_is_read(served: Served) -> None:
    with socket.create_connection(("127.0.0.1", served.port), timeout=10) as sock:
        sock.sendall(b"POST /metrics HTTP/1.1\r\nHost: x\r\nContent-Length: 100000000\r\n\r\n")
        answer = b""
        while chunk := sock.recv(65536):
            answer += chunk
    assert answer.startswith(b"HTTP/1.1 413 "), answer[:200]

    chunked = http.client.HTTPConnection("127.0.0.1", served.port, timeout=10)
    try:
        chunked.putrequest("POST", "/metrics")
        chunked.putheader("Transfer-Encoding", "chunked")
        chunked.endheaders()
        piece = b"%x\r\n%s\r\n" % (16384, b"y" * 16384)
        try:
            for _ in range(16):  # 256 KiB, past the limit
                chunked.send(piece)
        except (BrokenPipeError, ConnectionResetError):
            pass
        assert chunked.getresponse().status == 413
    finally:
        chunked.close()


def test_unknown_users_and_wrong_passwords_take_the_same_time(served: Served) -> None:
    """Loose and statistical: medians of interleaved tries within 50% of each other. Before every check
    did the same bcrypt work, the cheap user's wrong password answered some 30 times faster."""
    tries: dict[str, list[float]] = {"unknown user": [], "cheap, wrong": [], "costly, wrong": []}
    credentials = {
        "unknown user": basic("nobody", "whatever"),
        "cheap, wrong": basic("cheap", "not-it"),
        "costly, wrong": basic("costly", "not-it"),
    }
    client = http.client.HTTPConnection("127.0.0.1", served.port, timeout=10)
    try:
        for _ in range(15):
            for name, header in credentials.items():
                started = time.perf_counter()
                client.request("GET", "/metrics", headers=header)
                response = client.getresponse()
                response.read()
                tries[name].append(time.perf_counter() - started)
                assert response.status == 401, (name, response.status)
    finally:
        client.close()
    medians = {name: statistics.median(times) for name, times in tries.items()}
    assert max(medians.values()) < 1.5 * min(medians.values()), medians


def test_probe_of_a_project_not_collected_is_a_404_with_its_reason(
    sim: SimulatedOvh, connection: http.client.HTTPConnection
) -> None:
    known = sim.world.project_ids[0]
    status, _, body = ask(connection, "GET", f"/probe?target={known}")
    assert status == 200 and f'cloud_account_id="{known}"'.encode() in body
    stranger = "0" * 32
    status, _, body = ask(connection, "GET", f"/probe?target={stranger}")
    assert status == 404
    assert body.decode().count("\n") == 1 and stranger in body.decode() and b"ovh_cloud_" not in body
    assert ask(connection, "GET", "/probe?target=not-a-project")[0] == 400


def test_status_lines_carry_their_reason_phrase(connection: http.client.HTTPConnection) -> None:
    connection.request("GET", "/healthz")
    response = connection.getresponse()
    response.read()
    assert (response.status, response.reason) == (200, "OK")
    connection.request("GET", "/probe?target=not-a-project")
    response = connection.getresponse()
    response.read()
    assert response.reason == {400: "Bad Request", 401: "Unauthorized"}[response.status]


@pytest.mark.parametrize(
    "target", [b"http://[::1/metrics", b"http://[fe80::1%25eth0/x", b"//[/metrics"]
)
def test_a_target_urlsplit_refuses_gets_a_400_and_no_traceback(served: Served, target: bytes) -> None:
    answer = raw_answer(
        served.port, b"GET " + target + b" HTTP/1.1\r\nHost: x\r\n\r\nGET /healthz HTTP/1.1\r\n\r\n"
    )
    assert answer.startswith(b"HTTP/1.1 400 "), answer[:200]
    assert answer.count(b"HTTP/1.1 ") == 1  # the connection closed after the refusal
    output = served.output()
    assert "Traceback" not in output and "ERROR" not in output, output[-2000:]


def test_content_length_with_transfer_encoding_is_refused_and_the_connection_closed(served: Served) -> None:
    # RFC 9112 6.1: a proxy that trusts Content-Length would read the chunk as this request's body and the
    # rest as a request of its own; we answer 400 and read nothing more.
    smuggled = (
        b"POST /healthz HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n"
        b"0\r\n\r\nGET /healthz HTTP/1.1\r\nHost: x\r\n\r\n"
    )
    answer = raw_answer(served.port, smuggled)
    assert answer.startswith(b"HTTP/1.1 400 "), answer[:200]
    assert answer.count(b"HTTP/1.1 ") == 1, answer
