"""Block storage: ``volume`` (``cloud.Volume[]``, optionally one region's) and ``volume/{volumeId}``."""

from __future__ import annotations

from otel_ovh.simulator import legacy
from otel_ovh.simulator.errors import not_found
from otel_ovh.simulator.family import Family, Json, View
from otel_ovh.simulator.model import Volume
from otel_ovh.simulator.routes import P
from otel_ovh.simulator.timeutil import iso


def volume_body(view: View, vol: Volume) -> Json:
    body = {
        "id": vol.id,
        "name": vol.name,
        "description": "",
        "region": vol.region,
        "size": vol.size,
        "type": vol.type,
        "status": "in-use" if vol.attached_to else "available",
        "attachedTo": list(vol.attached_to),
        "bootable": vol.bootable,
        "creationDate": iso(vol.created),
        "planCode": f"volume.{vol.type}.consumption",
        "availabilityZone": vol.availability_zone,
    }
    return legacy.drop("volume", body) if view.p.legacy else body


def volumes(view: View, region: str | None = None) -> list[Json]:
    return [volume_body(view, v) for v in view.p.live_volumes(region) if v.created <= view.now]


def volume(view: View, volume_id: str) -> Json:
    vol = view.p.volumes.get(volume_id)
    if vol is None or vol.deleted is not None or vol.created > view.now:
        raise not_found(f"Volume {volume_id} not found")
    return volume_body(view, vol)


FAMILY = Family(
    routes={
        f"{P}/volume": lambda v, a, q: volumes(v, q.get("region")),
        f"{P}/volume/{{volumeId}}": lambda v, a, q: volume(v, a["volumeId"]),
    }
)
