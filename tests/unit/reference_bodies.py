"""Answers shaped as OVH's schema and public bodies say (docs/ovh-api.md), quirks included, for parsers."""

from __future__ import annotations

from typing import Any

PROJECT_ID = "a2a57ad2af1e382a46d65b5e3bd2945a"
INSTANCE_ID = "f15aaf5b-e2c2-4d79-83fa-aa8ac3ac6b33"
MONTHLY_INSTANCE_ID = "9e8d7c6b-5a4f-4e3d-2c1b-0a9f8e7d6c5b"
VOLUME_ID = "2c8a7c1e-5f6a-4e1b-9d0c-3a4b5c6d7e8f"
FLAVOR_ID = "906e8259-0340-4856-95b5-4ea2d26fe377"

PROJECT: dict[str, Any] = {
    "project_id": PROJECT_ID,
    "projectName": "prod-eu",
    "description": "prod-eu",
    "planCode": "project.2018",
    "unleash": True,
    "expiration": None,
    "creationDate": "2021-03-04T10:11:12+01:00",
    "orderId": 123456789,
    "access": "full",
    "status": "ok",
    "manualQuota": False,
    "iam": {
        "id": "0b1f8d7e-2a6c-4b3e-9b61-0a2f5c0d9e11",
        "urn": f"urn:v1:eu:resource:publicCloudProject:{PROJECT_ID}",
        "displayName": "prod-eu",
        "state": "OK",
        "tags": None,
    },
}

QUOTAS: list[dict[str, Any]] = [
    {
        "region": "GRA11",
        "instance": {
            "maxCores": 34,
            "maxInstances": 20,
            "maxRam": 240000,
            "usedCores": 6,
            "usedInstances": 3,
            "usedRAM": 22528,
        },
        "keypair": {"maxCount": 100},
        "volume": {
            "maxGigabytes": 10000,
            "usedGigabytes": 350,
            "volumeCount": 4,
            "maxVolumeCount": 100,
            "maxBackupGigabytes": 10000,
            "usedBackupGigabytes": 0,
            "volumeBackupCount": 0,
            "maxVolumeBackupCount": 100,
        },
        "network": {
            "maxNetworks": 100,
            "usedNetworks": 2,
            "maxSubnets": 100,
            "usedSubnets": 2,
            "maxFloatingIPs": 10,
            "usedFloatingIPs": 1,
            "maxGateways": 10,
            "usedGateways": 1,
        },
        "loadbalancer": {"maxLoadbalancers": 10, "usedLoadbalancers": 1},
        "keymanager": {"maxSecrets": 100, "usedSecrets": 0},
        "share": None,
    },
    {
        "region": "WAW1",
        "instance": {
            "maxCores": -1,
            "maxInstances": -1,
            "maxRam": -1,
            "usedCores": 0,
            "usedInstances": 0,
            "usedRAM": 0,
        },
        "keypair": {"maxCount": 100},
        "volume": None,
        "network": None,
        "loadbalancer": None,
        "keymanager": None,
        "share": None,
    },
]

# 2020 shape: only instance, keypair, volume, and categories absent rather than null.
QUOTAS_2020: list[dict[str, Any]] = [
    {
        "region": "SBG5",
        "instance": {
            "maxCores": 20,
            "maxInstances": 10,
            "maxRam": 81920,
            "usedCores": 2,
            "usedInstances": 1,
            "usedRAM": 4096,
        },
        "keypair": {"maxCount": 100},
    },
]

INSTANCE_LIST_ITEM: dict[str, Any] = {
    "id": INSTANCE_ID,
    "name": "web-1",
    "region": "GRA11",
    "status": "ACTIVE",
    "created": "2025-09-24T17:21:31Z",
    "flavorId": FLAVOR_ID,
    "imageId": "0a3cf4bc-8d39-4a5e-a2b4-3c5d2f6e7a8b",
    "sshKeyId": None,
    "planCode": "b2-7.consumption",
    "monthlyBilling": None,
    "currentMonthOutgoingTraffic": 123456789,
    "operationIds": [],
    "ipAddresses": [
        {"ip": "1.2.3.4", "type": "public", "version": 4, "networkId": "bc63", "gatewayIp": "1.2.3.1"}
    ],
    "availabilityZone": None,
}

FLAVOR: dict[str, Any] = {
    "id": FLAVOR_ID,
    "name": "b2-7",
    "region": "GRA9",
    "ram": 7,
    "disk": 50,
    "vcpus": 2,
    "type": "ovh.ssd.eg",
    "osType": "linux",
    "inboundBandwidth": 250,
    "outboundBandwidth": 250,
    "available": True,
    "planCodes": {"monthly": "b2-7.monthly.postpaid", "hourly": "b2-7.consumption", "license": None},
    "capabilities": [{"name": "resize", "enabled": True}],
    "quota": 791,
}

# Detail shape (CLI fixture): the flavor is embedded, planCode may be null, and a key not in the schema.
INSTANCE_DETAIL: dict[str, Any] = {
    **{k: v for k, v in INSTANCE_LIST_ITEM.items() if k != "flavorId"},
    "id": MONTHLY_INSTANCE_ID,
    "name": "db-1",
    "planCode": None,
    "flavor": FLAVOR,
    "image": None,
    "sshKey": None,
    "monthlyBilling": {"since": "2025-09-03T14:12:01Z", "status": "ok"},
    "licensePlanCode": None,
    "rescuePassword": None,
    "currentMonthOutgoingTraffic": None,
}

VOLUMES: list[dict[str, Any]] = [
    {
        "id": VOLUME_ID,
        "name": "data-1",
        "description": "",
        "region": "GRA11",
        "size": 100,
        "type": "classic",
        "status": "in-use",
        "attachedTo": [INSTANCE_ID],
        "bootable": False,
        "creationDate": "2024-05-02T09:15:00+02:00",
        "planCode": "volume.classic.consumption",
        "availabilityZone": None,
    },
    {
        "id": "7d6e5f4a-3b2c-1d0e-9f8a-7b6c5d4e3f2a",
        "name": "scratch",
        "description": "",
        "region": "SBG5",
        "size": 50,
        "type": "high-speed-gen2",
        "status": "available",
        "attachedTo": [],
        "bootable": False,
        "creationDate": "2025-01-10T18:00:00+01:00",
        "planCode": "volume.high-speed-gen2.consumption",
        "availabilityZone": None,
    },
]

SWIFT: list[dict[str, Any]] = [
    {
        "id": "R1JBOmJhY2t1cHM=",
        "name": "backups",
        "region": "GRA",
        "storedBytes": 52428800,
        "storedObjects": 42,
        "containerType": "private",
        "archive": False,
    },
]

S3: list[dict[str, Any]] = [
    {
        "name": "backups",
        "region": "GRA",
        "createdAt": "2024-01-01T00:00:00+00:00",
        "objectsCount": 3,
        "objectsSize": 1024,
        "ownerId": 1234,
        "virtualHost": "backups.s3.gra.io.cloud.ovh.net",
        "objects": [],
    },
]


def _q(unit: str, value: float) -> dict[str, Any]:
    return {"unit": unit, "value": value}


def price(value: float, currency: str = "EUR") -> dict[str, Any]:
    return {
        "currencyCode": currency,
        "priceInUcents": round(value * 1e8),
        "text": f"{value:.2f} €",
        "value": value,
    }


USAGE_CURRENT: dict[str, Any] = {
    "period": {"from": "2025-10-01T00:00:00+02:00", "to": "2025-10-14T12:00:00+02:00"},
    "lastUpdate": "2025-10-14T11:00:00+02:00",
    "totalPrice": price(90.45),
    "hourlyUsage": {
        "instance": [
            {
                "reference": "b3-8",
                "region": "GRA11",
                "deploymentMode": "REGION-1-AZ",
                "savingsPlanIds": None,
                "quantity": _q("Hour", 310.0),
                "totalPrice": 21.39,
                "details": [
                    {
                        "instanceId": INSTANCE_ID,
                        "resourceId": INSTANCE_ID,
                        "quantity": _q("Hour", 310.0),
                        "totalPrice": 21.39,
                    }
                ],
            },
        ],
        "instanceBandwidth": [],
        "instanceOption": [],
        "snapshot": [
            {
                "region": "GRA11",
                "deploymentMode": "REGION-1-AZ",
                "totalPrice": 0.05,
                "instance": {"quantity": _q("GiBh", 5120.0), "totalPrice": 0.05},
                "volume": None,
            },
        ],
        "storage": [
            {
                "type": "storage-standard",
                "region": "GRA",
                "deploymentMode": "REGION-1-AZ",
                "bucketName": "backups",
                "totalPrice": 0.43,
                "stored": {"quantity": _q("GiBh", 41235.7), "totalPrice": 0.41, "resourceIds": ["backups"]},
                "incomingBandwidth": {
                    "quantity": _q("GiB", 3.2),
                    "totalPrice": 0.0,
                    "resourceIds": ["backups"],
                },
                "outgoingBandwidth": {
                    "quantity": _q("GiB", 0.8),
                    "totalPrice": 0.02,
                    "resourceIds": ["backups"],
                },
                "incomingInternalBandwidth": {
                    "quantity": _q("GiB", 0.0014659259468317),
                    "totalPrice": 0.0,
                    "resourceIds": ["backups"],
                },
                "outgoingInternalBandwidth": {
                    "quantity": _q("GiB", 0.0000039469450712),
                    "totalPrice": 0.0,
                    "resourceIds": ["backups"],
                },
                "retrievalFees": None,
            },
            {
                "type": "pcs",
                "region": "GRA",
                "deploymentMode": None,
                "bucketName": None,
                "totalPrice": 0.01,
                "stored": {"quantity": _q("GiBh", 1500.0), "totalPrice": 0.01, "resourceIds": []},
                "incomingBandwidth": None,
                "outgoingBandwidth": None,
                "incomingInternalBandwidth": None,
                "outgoingInternalBandwidth": None,
                "retrievalFees": None,
            },
        ],
        "volume": [
            {
                "type": "classic",
                "region": "GRA11",
                "deploymentMode": "REGION-1-AZ",
                "quantity": _q("GiBh", 31000.0),
                "totalPrice": 1.24,
                "details": [
                    {
                        "volumeId": VOLUME_ID,
                        "resourceId": VOLUME_ID,
                        "quantity": _q("GiBh", 31000.0),
                        "totalPrice": 1.24,
                    }
                ],
            },
        ],
        "managedKubernetesService": [],
        "rancher": [],
        "quantum": {"notebook": [], "processingUnit": []},
    },
    "monthlyUsage": {
        "instance": [
            {
                "reference": "b3-16",
                "region": "SBG5",
                "deploymentMode": "REGION-1-AZ",
                "totalPrice": 63.0,
                "details": [
                    {
                        "instanceId": MONTHLY_INSTANCE_ID,
                        "resourceId": MONTHLY_INSTANCE_ID,
                        "activation": "2025-09-03T14:12:01+02:00",
                        "totalPrice": 63.0,
                    }
                ],
            },
        ],
        "instanceOption": [],
        "certification": [],
        "savingsPlan": [],
    },
    "resourcesUsage": [
        {
            "type": "octavia-loadbalancer",
            "totalPrice": 4.33,
            "resources": [
                {
                    "region": "GRA11",
                    "deploymentMode": "REGION-1-AZ",
                    "components": [
                        {
                            "id": "c0ffee00-0000-4000-8000-000000000001",
                            "resourceId": "c0ffee00-0000-4000-8000-000000000002",
                            "name": "loadbalancer-small",
                            "quantity": _q("Hour", 310.0),
                            "totalPrice": 4.33,
                        }
                    ],
                }
            ],
        },
    ],
}

# The least usage/current may answer: every category null (nullable in cloud.json), docs/ovh-api.md §4.1.
USAGE_MINIMAL: dict[str, Any] = {
    "period": {"from": "2025-10-01T00:00:00+02:00", "to": "2025-10-14T12:00:00+02:00"},
    "lastUpdate": "2025-10-14T11:00:00+02:00",
    "hourlyUsage": None,
    "monthlyUsage": None,
    "resourcesUsage": None,
    "totalPrice": price(0.0),
}

# 2024 shape: no top-level totalPrice, no deploymentMode, no resourceId(s), none of the newer sections.
USAGE_2024: dict[str, Any] = {
    "period": {"from": "2025-10-01T00:00:00Z", "to": "2025-10-14T12:00:00Z"},
    "lastUpdate": "2025-10-14T11:00:00Z",
    "hourlyUsage": {
        "instance": [
            {
                "reference": "d2-2",
                "region": "BHS5",
                "quantity": _q("Hour", 100.0),
                "totalPrice": 0.99,
                "details": [{"instanceId": INSTANCE_ID, "quantity": _q("Hour", 100.0), "totalPrice": 0.99}],
            }
        ],
        "instanceBandwidth": [
            {
                "region": "SGP1",
                "totalPrice": 0.5,
                "outgoingBandwidth": {"quantity": _q("GiB", 50.0), "totalPrice": 0.5},
                "incomingBandwidth": None,
            }
        ],
        "instanceOption": [
            {
                "reference": "win-licence",
                "region": "BHS5",
                "quantity": _q("Hour", 100.0),
                "totalPrice": 2.0,
                "details": [{"instanceId": INSTANCE_ID, "quantity": _q("Hour", 100.0), "totalPrice": 2.0}],
            }
        ],
        "snapshot": [],
        "storage": [
            {
                "type": "pcs",
                "region": "BHS",
                "totalPrice": 0.02,
                "stored": {"quantity": _q("GiBh", 2000.0), "totalPrice": 0.02},
                "incomingBandwidth": None,
                "outgoingBandwidth": None,
            }
        ],
        "volume": [],
    },
    "monthlyUsage": {"instance": [], "instanceOption": [], "certification": []},
    "resourcesUsage": [],
}

# Newer sections whose prices are order.Price objects; a monthly line without quantity; local disk in GiBh.
USAGE_NEWER_SECTIONS: dict[str, Any] = {
    "period": {"from": "2025-10-01T00:00:00.000000+02:00", "to": "2025-10-14T12:00:00+02:00"},
    "lastUpdate": "2025-10-14T11:00:00+02:00",
    "totalPrice": price(26.0, "GBP"),
    "hourlyUsage": {
        "instance": [
            {
                "reference": "b3-16.local-disk-gb",
                "region": "UK1",
                "quantity": _q("GiBh", 1000.0),
                "totalPrice": 1.0,
                "details": [
                    {
                        "instanceId": INSTANCE_ID,
                        "resourceId": INSTANCE_ID,
                        "quantity": _q("GiBh", 1000.0),
                        "totalPrice": 1.0,
                    }
                ],
            }
        ],
        "managedKubernetesService": [
            {
                "reference": "mks.free",
                "region": "UK1",
                "quantity": _q("Hour", 10.0),
                "totalPrice": price(5.0, "GBP"),
                "details": [
                    {
                        "id": "k8s-1",
                        "resourceId": "k8s-1",
                        "quantity": _q("Hour", 10.0),
                        "totalPrice": price(5.0, "GBP"),
                    }
                ],
            }
        ],
        "rancher": [
            {
                "reference": "rancher.standard",
                "region": "UK1",
                "quantity": _q("Minute", 600.0),
                "totalPrice": price(3.0, "GBP"),
                "savingsPlanIds": None,
                "details": [
                    {
                        "rancherId": "r-1",
                        "resourceId": "r-1",
                        "quantity": _q("Minute", 600.0),
                        "totalPrice": price(3.0, "GBP"),
                    }
                ],
            }
        ],
        "quantum": {
            "notebook": [],
            "processingUnit": [
                {
                    "reference": "qpu.emulator",
                    "region": "UK1",
                    "quantity": _q("Second", 7200.0),
                    "totalPrice": price(2.0, "GBP"),
                    "details": [
                        {
                            "id": "q-1",
                            "resourceId": "q-1",
                            "quantity": _q("Second", 7200.0),
                            "totalPrice": price(2.0, "GBP"),
                        }
                    ],
                }
            ],
        },
        "storage": [
            {
                "type": "storage-standard-ia",
                "region": "UK",
                "bucketName": "archive",
                "totalPrice": 2.0,
                "stored": {"quantity": _q("GiBh", 500.0), "totalPrice": 1.5, "resourceIds": ["archive"]},
                "retrievalFees": {
                    "quantity": _q("GiB", 5.0),
                    "totalPrice": price(0.5, "GBP"),
                    "resourceIds": ["archive"],
                },
            }
        ],
    },
    "monthlyUsage": {
        "instance": [
            {
                "reference": "b3-8",
                "region": "UK1",
                "totalPrice": 10.0,
                "details": [
                    {
                        "instanceId": MONTHLY_INSTANCE_ID,
                        "resourceId": MONTHLY_INSTANCE_ID,
                        "activation": "2025-10-01T00:00:00Z",
                        "totalPrice": 10.0,
                    }
                ],
            }
        ],
        "certification": [
            {
                "reference": "hds",
                "totalPrice": 1.0,
                "details": [{"activation": "2025-10-01T00:00:00Z", "totalPrice": 1.0}],
            }
        ],
        "savingsPlan": [
            {
                "flavor": "b3-8",
                "totalPrice": price(2.0, "GBP"),
                "details": [
                    {
                        "id": "5a0c7f7e-0000-4000-8000-000000000001",
                        "planName": None,
                        "period": {"from": "2025-10-01T00:00:00Z", "to": "2025-10-31T00:00:00Z"},
                        "size": 1.0,
                        "unitPrice": price(2.0, "GBP"),
                        "totalPrice": price(2.0, "GBP"),
                    }
                ],
            }
        ],
    },
    "resourcesUsage": None,
}

FORECAST: dict[str, Any] = {
    **USAGE_CURRENT,
    "totalPrice": price(195.2),
    "usableCredits": {
        "totalCredit": 10.0,
        "details": [{"id": 1, "description": "voucher", "usedAmount": 2.0}],
    },
}
