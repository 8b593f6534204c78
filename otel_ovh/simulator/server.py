"""The HTTP face of the simulator: routing, authentication, faults, latency and the call log.

Paths served (docs/ovh-api.md §2-§5):

* `/1.0/...`: the API. `/auth/time` and `POST /auth/credential` need no signature; everything else
  is authenticated (signed consumer key or OAuth2 bearer), then faults apply, then the world answers.
* `POST /auth/oauth2/token` (at the root, as OVH's token URL is not under /1.0);
* `GET /auth/?credentialToken=...`: the validation URL of a consumer key request (validates it);
* `/_sim/faults` (GET, POST a JSON list or object, DELETE), `/_sim/calls` (GET, DELETE) and
  `/_sim/autoscale` (POST: one pass of the Kubernetes autoscaler): manual control for demos, no
  authentication, loopback clients only.

Every answer carries an `X-Ovh-Queryid` header. The HTTP server itself, and requests and replies as
values, are in ``otel_ovh.simulator.transport``.
"""

from __future__ import annotations

import ipaddress
import itertools
import json
import threading
import time
from typing import Any
from urllib.parse import parse_qsl

from otel_ovh.simulator import paging
from otel_ovh.simulator.auth import Auth
from otel_ovh.simulator.calls import Call, CallLog
from otel_ovh.simulator.errors import ApiError, invalid_url, service_error
from otel_ovh.simulator.families import ACCOUNT_ROUTES, CLOUD_ROUTES, PUBLIC
from otel_ovh.simulator.faults import FaultSet, fault_from_json
from otel_ovh.simulator.routes import AUTH_ROUTES, PROJECT_PREFIX, Router, project_scope
from otel_ovh.simulator.transport import (
    HTML_TYPE,
    Handler,
    Reply,
    Request,
    Server,
    error_reply,
    html_reply,
    json_reply,
)
from otel_ovh.simulator.world import World

API_ROUTER = Router(CLOUD_ROUTES + ACCOUNT_ROUTES + AUTH_ROUTES)
TOKEN_PATH = "/auth/oauth2/token"

__all__ = ["TOKEN_PATH", "Reply", "Request", "SimulatedOvh"]


class SimulatedOvh:
    """The simulated API served over HTTP on `host:port` (port 0: any free port)."""

    def __init__(
        self,
        world: World,
        host: str = "127.0.0.1",
        port: int = 0,
        latency: float = 0.0,
        page_size: int = paging.DEFAULT_PAGE_SIZE,
    ) -> None:
        self.world = world
        self.page_size = page_size  # items per page of a cursor-paged list, unless the request asks
        self.host = host
        self.port = port
        self.latency = latency
        self.auth = Auth(world.seed, world.clock)
        self.faults = FaultSet()
        self._calls = CallLog()
        self._query_ids = itertools.count(1)
        self._server: Server | None = None
        self._thread: threading.Thread | None = None

    # --- lifecycle -------------------------------------------------------------------------------
    def start(self) -> SimulatedOvh:
        if self._server is not None:
            return self
        server = Server((self.host, self.port), Handler, self)
        self.port = server.server_address[1]
        self._server = server
        self._thread = threading.Thread(
            target=server.serve_forever,
            kwargs={"poll_interval": 0.05},
            name=f"simulated-ovh:{self.port}",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        server, self._server = self._server, None
        if server is None:
            return
        server.shutdown()
        server.close_connections()
        server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def __enter__(self) -> SimulatedOvh:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # --- what clients need -----------------------------------------------------------------------
    @property
    def root_url(self) -> str:
        host = "127.0.0.1" if self.host in ("", "0.0.0.0") else "::1" if self.host == "::" else self.host
        return f"http://{f'[{host}]' if ':' in host else host}:{self.port}"

    @property
    def url(self) -> str:
        return f"{self.root_url}/1.0"

    @property
    def oauth2_token_url(self) -> str:
        return f"{self.root_url}{TOKEN_PATH}"

    @property
    def credentials(self) -> dict[str, str]:
        """A validated consumer key with GET on /cloud/project and /cloud/project/*."""
        return {
            "application_key": self.auth.application_key,
            "application_secret": self.auth.application_secret,
            "consumer_key": self.auth.consumer_key,
        }

    @property
    def oauth2_credentials(self) -> dict[str, str]:
        return {"client_id": self.auth.client_id, "client_secret": self.auth.client_secret}

    @property
    def calls(self) -> list[Call]:
        return self._calls.snapshot()

    def call_count(
        self, route: str | None = None, project: str | None = None, status: int | None = None
    ) -> int:
        return self._calls.count(route, project, status)

    def reset_calls(self) -> None:
        self._calls.reset()

    # --- request handling ------------------------------------------------------------------------
    def handle(self, request: Request) -> Reply:
        path = request.path
        if path.startswith("/_sim/"):
            return self._control(request)
        if path.startswith("/1.0/"):
            return self._recorded(request, self._api)
        if path == TOKEN_PATH and request.method == "POST":
            return self._recorded(request, self._token)
        if path in ("/auth", "/auth/") and request.method == "GET":
            return self._validation_page(request)
        return error_reply(invalid_url())

    def _recorded(self, request: Request, answer: Any) -> Reply:
        started = time.monotonic()
        rel = request.path[len("/1.0") :] if request.path.startswith("/1.0/") else request.path
        match = API_ROUTER.match(rel)
        try:
            reply: Reply = answer(request, rel)
        except ApiError as error:
            reply = error_reply(error)
        project, _ = project_scope(rel)
        self._calls.record(
            Call(
                request.method,
                request.target,
                match.template if match else rel,
                project,
                reply.status,
                time.monotonic() - started,
                time.time(),
            )
        )
        return reply

    def _api(self, request: Request, rel: str) -> Reply:
        if self.latency:
            time.sleep(self.latency)
        if rel == "/auth/time" and request.method == "GET":
            return json_reply(200, self.world.now())
        if rel == "/auth/credential" and request.method == "POST":
            cred = self.auth.request_credential(request.headers.get("x-ovh-application"), _json_body(request))
            return json_reply(
                200,
                {
                    "validationUrl": f"http://{request.headers.get('host', '')}/auth/"
                    f"?credentialToken={cred.token}",
                    "consumerKey": cred.consumer_key,
                    "state": cred.status,
                },
            )
        if rel in PUBLIC and request.method == "GET":
            return self._public(request, rel)
        url = f"http://{request.headers.get('host', '')}{request.target}"
        identity = self.auth.authenticate(
            request.method, url, rel, request.body.decode("utf-8", "replace"), request.headers
        )
        if rel == "/auth/currentCredential" and request.method == "GET":
            return json_reply(200, self.auth.current_credential(identity))
        if rel == "/auth/details" and request.method == "GET":
            return json_reply(200, self.auth.details(identity))
        match = API_ROUTER.match(rel)
        account = match is not None and match.template in ACCOUNT_ROUTES
        if request.method != "GET" or not (
            account or rel == PROJECT_PREFIX.rstrip("/") or rel.startswith(PROJECT_PREFIX)
        ):
            raise invalid_url()
        # faults match an account route as project "" and its path, as a public one
        faulty = self._fault(*(("", rel.lstrip("/")) if account else project_scope(rel)))
        if faulty is not None:
            return faulty
        template = match.template if match else rel
        whole = self.world.answer(rel, paging.whole_list_query(template, request.query))
        body, headers = paging.page(
            template, request.target, request.query, request.headers, whole, self.page_size
        )
        return Reply(200, body, headers=headers)

    def _fault(self, project: str, path: str) -> Reply | None:
        """The reply of the first fault matching the call, if any (a status fault raises its error)."""
        if (fault := self.faults.take(project, path)) is None:
            return None
        time.sleep(fault.delay)
        canned = fault.canned()
        if canned is not None:
            return Reply(*canned)
        if fault.kind == "status":
            raise fault.error()
        return None

    def _public(self, request: Request, rel: str) -> Reply:  # faults match it as project "" and its path
        return self._fault("", rel.lstrip("/")) or json_reply(200, PUBLIC[rel](request.query))

    def _token(self, request: Request, rel: str) -> Reply:
        form = dict(parse_qsl(request.body.decode("utf-8", "replace")))
        status, body = self.auth.issue_token(request.headers.get("authorization"), form)
        return json_reply(status, body, {"Cache-Control": "no-store"})

    def _validation_page(self, request: Request) -> Reply:
        cred = self.auth.validate(request.query.get("credentialToken", ""))
        if cred is None:
            return html_reply(404, "<html><body><h1>Unknown credential token</h1></body></html>\n")
        if cred.redirection:
            return Reply(303, b"", HTML_TYPE, {"Location": cred.redirection})
        return html_reply(
            200,
            "<html><body><h1>Credential validated</h1>"
            "<p>You can close this page and go back to your application.</p></body></html>\n",
        )

    def _control(self, request: Request) -> Reply:
        try:
            if not ipaddress.ip_address(request.client.split("%")[0]).is_loopback:
                return json_reply(403, {"message": "the control endpoint answers loopback clients only"})
        except ValueError:
            return json_reply(403, {"message": "the control endpoint answers loopback clients only"})
        action = (request.method, request.path.rstrip("/"))
        if action == ("GET", "/_sim/faults"):
            return json_reply(200, [f.as_json() for f in self.faults.active()])
        if action == ("POST", "/_sim/faults"):
            try:
                data = json.loads(request.body or b"[]")
                faults = [fault_from_json(item) for item in (data if isinstance(data, list) else [data])]
            except (ValueError, TypeError) as error:
                return json_reply(400, {"message": str(error)})
            for fault in faults:
                self.faults.add(fault)
            return json_reply(200, {"added": len(faults), "active": len(self.faults)})
        if action == ("DELETE", "/_sim/faults"):
            self.faults.clear()
            return json_reply(200, {"active": 0})
        if action == ("GET", "/_sim/calls"):
            return json_reply(200, [c.as_json() for c in self.calls])
        if action == ("DELETE", "/_sim/calls"):
            self.reset_calls()
            return json_reply(200, {"calls": 0})
        if action == ("POST", "/_sim/autoscale"):
            return json_reply(200, {"changed": self.world.autoscale()})
        return json_reply(404, {"message": "unknown control path"})

    def next_query_id(self) -> str:
        return f"EU.ext-sim.{int(time.time()):x}.{self.port}.{next(self._query_ids):08x}"


def _json_body(request: Request) -> Any:
    try:
        return json.loads(request.body or b"null")
    except ValueError:
        raise service_error(400, "Invalid JSON body") from None
