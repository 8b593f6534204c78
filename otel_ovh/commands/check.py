"""``check-config``: the settings as they will run, what protects ``/metrics``, and whether OVH accepts
the credentials for the projects configured.

It goes through exactly the validation ``serve`` does (``load_settings``), so "valid" here means
``serve`` starts; then it makes the calls ``serve`` would make first, and says which project fails.
"""

from __future__ import annotations

import ssl
from collections.abc import Iterator

import yaml

from otel_ovh.errors import CommandError
from otel_ovh.families import describe_project
from otel_ovh.logs import redact
from otel_ovh.ovh.client import ApiError, OvhApi
from otel_ovh.ovh.discovery import in_shard, readable_projects
from otel_ovh.serve.app import build_api
from otel_ovh.settings.config import Settings, describe
from otel_ovh.settings.web_config import WebConfig, load_web_config


def protection(web: WebConfig | None) -> str:
    """One line saying what protects /metrics, without any hash or path of a key."""
    if web is None:
        return "nothing (no web config)"
    parts = []
    if web.tls is not None:
        clients = {ssl.CERT_NONE: "not asked", ssl.CERT_OPTIONAL: "verified if given"}.get(
            web.tls.client_auth, "required and verified"
        )
        parts.append(f"TLS (minimum {web.tls.min_version.name}, client certificates {clients})")
    if web.basic_auth is not None:
        parts.append(f"basic auth ({len(web.basic_auth.users)} user(s))")
    return " and ".join(parts) or "nothing (no TLS, no basic auth)"


# A consumer key works only once its validation URL has been opened: the usual reason, right after
# `otel-ovh login`, why OVH refuses the credentials.
_LOGIN_HINT = (
    "; if you have just run `otel-ovh login`, open the validation URL it printed, log in and accept, "
    "then try again"
)


def _listing_failure(settings: Settings, error: ApiError) -> str:
    """Why the first call failed, in the words of who can fix it: the network, OVH, or the credentials."""
    if error.unreachable:
        return (
            f"OVH is unreachable at {settings.ovh.endpoint}: {error.why_unreachable} ({error}); "
            "the credentials were not checked"
        )
    if not error.is_credential_failure:
        return f"OVH gave no usable answer to the first call ({error}); the credentials were not checked"
    hint = "" if settings.ovh.uses_oauth2 else _LOGIN_HINT
    return f"the credentials do not work: {error}{hint}"


def check_config(settings: Settings) -> Iterator[str]:
    """The report's lines, as they are known; raises ``CommandError`` on the first thing that fails."""
    secrets = settings.secrets()
    web_config_file = settings.prometheus.web_config_file
    web = load_web_config(web_config_file) if web_config_file else None
    yield "settings are valid:"
    yield yaml.safe_dump(describe(settings), sort_keys=False, default_flow_style=False).rstrip()
    if settings.prometheus.enabled:
        yield f"/metrics is protected by: {protection(web)}"
    api = build_api(settings)
    try:
        readable = readable_projects(api)
    except ApiError as error:
        raise CommandError(redact(_listing_failure(settings, error), secrets)) from None
    yield f"credentials work: {len(readable)} project(s) readable"
    wanted = [p.id for p in settings.projects] or readable
    if settings.projects:
        yield f"{len(wanted)} project(s) configured (projects):"
    missing = [pid for pid in wanted if pid not in readable]
    for pid in wanted:
        yield _project_line(api, settings, pid, readable=pid not in missing)
    others = sorted(set(readable) - set(wanted))
    if others:
        yield f"{len(others)} other readable project(s), not collected (not in projects): {_listed(others)}"
    if missing:
        raise CommandError(f"configured project(s) not readable with these credentials: {', '.join(missing)}")


def _project_line(api: OvhApi, settings: Settings, pid: str, readable: bool) -> str:
    """A project as OVH names it, and its state; one the credentials cannot read is said so, by its id."""
    if not readable:
        return f"  {pid}  ?  [not readable with these credentials]"
    try:
        info = describe_project(api, pid)
        name, status = info.name, info.status
    except ApiError as error:
        name, status = "?", redact(f"unreadable: {error.message}", settings.secrets())
    shard = "" if in_shard(pid, settings.collect.shard) else "  (other shard)"
    return f"  {pid}  {name}  [{status}]{shard}"


_LISTED = 10  # ids named before "and N more": an organisation may read hundreds of projects


def _listed(ids: list[str]) -> str:
    more = f" and {len(ids) - _LISTED} more" if len(ids) > _LISTED else ""
    return ", ".join(ids[:_LISTED]) + more
