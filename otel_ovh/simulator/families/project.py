"""The project itself: ``/cloud/project/{serviceName}`` (``cloud.Project``)."""

from __future__ import annotations

from otel_ovh.simulator import legacy
from otel_ovh.simulator.family import Family, Json, View
from otel_ovh.simulator.routes import P
from otel_ovh.simulator.timeutil import iso, iso_micro


def project(view: View) -> Json:
    p = view.p
    body = {
        "project_id": p.id,
        "projectName": p.name,
        "description": p.description,
        "planCode": p.plan_code,
        "unleash": True,
        "expiration": iso(p.expiration) if p.expiration else None,
        "creationDate": iso_micro(p.created, p.created_micro),
        "orderId": p.order_id,
        "access": "full",
        "status": "ok",
        "manualQuota": False,
        "iam": {
            "id": p.iam_id,
            "urn": f"urn:v1:eu:resource:publicCloudProject:{p.id}",
            "displayName": p.description,
            "state": "OK",
            "tags": None,
        },
    }
    return legacy.drop("project", body) if p.legacy else body


FAMILY = Family(routes={P: lambda v, a, q: project(v)})
