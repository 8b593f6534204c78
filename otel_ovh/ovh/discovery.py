"""Which projects this process reads: the configured ones, or every project the credentials can read,
then this shard's share of them."""

from __future__ import annotations

import hashlib

from otel_ovh.ovh.client import OvhApi
from otel_ovh.ovh.fields import Problems, plain_texts

PROJECTS = "/cloud/project"


def parse_project_ids(body: object, problems: Problems) -> list[str]:
    return plain_texts(body, "project list", problems)


def readable_projects(api: OvhApi, problems: Problems | None = None) -> list[str]:
    """Every project the credentials can read; raises ``ApiError`` when OVH will not list them."""
    return parse_project_ids(api.get(PROJECTS), Problems() if problems is None else problems)


def in_shard(project_id: str, shard: tuple[int, int] | None) -> bool:
    """Stable across processes and restarts (unlike ``hash()``), so n replicas split projects exactly."""
    if shard is None:
        return True
    index, count = shard
    digest = hashlib.sha256(project_id.encode()).digest()
    return int.from_bytes(digest[:8], "big") % count == index
