"""The 2024-era shapes some projects answer (docs/ovh-api.md §6), made by removing newer keys.

Clients written against today's schema must survive bodies that lack what was added since 2024, so
a `legacy` project renders the modern body and then drops, per model:

* usage/current and usage/forecast: top-level `totalPrice`; everywhere `deploymentMode`, `resourceId`,
  `resourceIds`, `savingsPlanIds`, `retrievalFees`; `hourlyUsage.managedKubernetesService`, `rancher`,
  `quantum`; `monthlyUsage.savingsPlan`; resourcesUsage components' `id`;
* project: `iam`; volume: `availabilityZone`; quota `share`: the four backup counters;
* instance list items: the S24 list model (`flavorId`/`imageId`/`sshKeyId`, no nested objects, no
  `availabilityZone`, no `rescuePassword`); instance detail: the S24 `InstanceDetail` (nested `flavor`,
  `image`, `sshKey`, no `flavorId`/`imageId`/`sshKeyId`/`availabilityZone`).

Legacy projects are generated without the products only newer bodies can show (Kubernetes, Rancher,
quantum, savings plans, cold-archive retrieval), so dropping those sections loses no cost.
"""

from __future__ import annotations

from typing import Any

USAGE_KEYS = frozenset(
    {
        "deploymentMode",
        "resourceId",
        "resourceIds",
        "savingsPlanIds",
        "retrievalFees",
        "managedKubernetesService",
        "rancher",
        "quantum",
        "savingsPlan",
    }
)

DROPPED: dict[str, frozenset[str]] = {
    "project": frozenset({"iam"}),
    "volume": frozenset({"availabilityZone"}),
    "share": frozenset(
        {"maxShareBackups", "usedShareBackups", "maxShareBackupGigabytes", "usedShareBackupGigabytes"}
    ),
    "instance": frozenset({"availabilityZone", "flavor", "image", "sshKey", "rescuePassword"}),
    "instance_detail": frozenset({"availabilityZone", "flavorId", "imageId", "sshKeyId"}),
}


def drop(model: str, body: dict[str, Any]) -> dict[str, Any]:
    """`body` without the keys the 2024 version of `model` did not have."""
    gone = DROPPED[model]
    return {k: v for k, v in body.items() if k not in gone}


def _strip(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _strip(v) for k, v in value.items() if k not in USAGE_KEYS}
    if isinstance(value, list):
        return [_strip(v) for v in value]
    return value


def usage(body: dict[str, Any]) -> dict[str, Any]:
    """A usage body as a 2024-era project answers it (no top-level total, no newer keys)."""
    old: dict[str, Any] = _strip({k: v for k, v in body.items() if k != "totalPrice"})
    for typed in old.get("resourcesUsage") or []:
        for resource in typed["resources"]:
            for component in resource["components"]:
                component.pop("id", None)
    return old
