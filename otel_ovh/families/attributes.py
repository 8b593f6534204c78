"""Every attribute otel-ovh puts on a series, declared once: its key, what it means, and the values it
may take where the set is closed (as the OpenTelemetry Collector's ``metadata.yaml`` declares each
attribute once for all the metrics that carry it).

Families name these objects in their metric declarations and read ``.key`` when they build points, so
a key is spelled in one place; the catalog derives the Prometheus labels, and ``docs/metrics.md`` lists
each attribute's meaning from here. An attribute whose values are a family's own table (the quota names,
the nodepool states) is declared beside that table, in its family's module, with the same class.
Keys and values are part of the public contract: a change goes in CHANGELOG.md.
"""

from __future__ import annotations

from dataclasses import dataclass

from otel_ovh.ovh.errors import REASONS
from otel_ovh.settings.config import FAMILY_NAMES


@dataclass(frozen=True)
class Attribute:
    key: str  # the OpenTelemetry key; the Prometheus label follows by the exporter's rules
    description: str
    values: tuple[str, ...] = ()  # the closed set of values, when there is one


# On every OVH series: which project it belongs to (see ``otel_ovh.export.catalog.COMMON_ATTRIBUTES``).
ACCOUNT = Attribute("cloud.account.id", "The Public Cloud project's id (OVH's `serviceName`).")
PROJECT_NAME = Attribute(
    "ovh.project.name",
    "The project's name: the one the settings give it, else OVH's description of the project, else its id.",
)

REGION = Attribute(
    "cloud.region",
    "The OVH region, as OVH names it (`GRA11`, `BHS5`...); left out on cost lines that name no region.",
)
RESOURCE_ID = Attribute(
    "cloud.resource_id",
    "OVH's id of the resource: an instance, volume, floating IP, gateway or load balancer id, a "
    "container or bucket name; on cost lines, the item billed (left out when OVH bills the service whole).",
)
RESOURCE_NAME = Attribute("ovh.resource.name", "The name the project gave the resource.")
SKU = Attribute(
    "ovh.sku",
    "What OVH prices: the flavor of an instance, nodepool or savings plan, the model of a gateway; on "
    "cost and usage lines, the item OVH's line names (a flavor, a volume type, a storage class...).",
)
STATUS = Attribute(
    "ovh.status", "The resource's status as OVH reports it, lower-cased (OVH sends either case)."
)
CURRENCY = Attribute("ovh.currency", "The currency of the amounts (ISO 4217 code, the account's).")
SERVICE = Attribute(
    "ovh.service", "The OVH service a cost or usage line belongs to (instance, volume, storage...)."
)
BILLING = Attribute(
    "ovh.billing", "How OVH bills the line: by the hour or by the month.", ("hourly", "monthly")
)
ADVICE = Attribute(
    "ovh.advice",
    "What to do: bill the instance by the month, shelve the stopped instance, delete the idle volume or "
    "floating IP, resize the underused savings plans (docs/advice.md).",
    ("monthly_billing", "stopped_instance", "idle_volume", "idle_floating_ip", "underused_savings_plan"),
)
DIRECTION = Attribute(
    "network.io.direction", "Which way the bytes went, from the resource's side.", ("receive", "transmit")
)
NETWORK_SCOPE = Attribute(
    "ovh.network.scope",
    "Whether the transfer left OVH's network (external) or stayed in it (internal).",
    ("external", "internal"),
)
PLAN = Attribute("ovh.plan", "The plan: the project's plan code, or the Kubernetes cluster's plan.")
VERSION = Attribute("ovh.version", "The Kubernetes version of the cluster.")
CREDIT_ID = Attribute("ovh.credit.id", "OVH's id of the credit (voucher, goodwill).")
SAVINGS_PLAN_ID = Attribute("ovh.savings_plan.id", "OVH's id of the savings plan.")
VOLUME_TYPE = Attribute("ovh.volume.type", "The block volume's type (classic, high-speed...).")
STORAGE_KIND = Attribute(
    "ovh.storage.kind", "Which object storage holds the container: Swift or S3.", ("swift", "s3")
)
OPERATING_STATUS = Attribute(
    "ovh.operating_status", "The load balancer's operating status, lower-cased (OVH sends either case)."
)
ATTACHED = Attribute(
    "ovh.attached", "Whether the floating IP is associated with something.", ("true", "false")
)
CLUSTER_UID = Attribute("k8s.cluster.uid", "OVH's id of the Managed Kubernetes cluster.")
CLUSTER_NAME = Attribute("k8s.cluster.name", "The Managed Kubernetes cluster's name.")
NODEPOOL_NAME = Attribute("ovh.kube.nodepool.name", "The nodepool's name.")
NODE_NAME = Attribute("k8s.node.name", "The Kubernetes node's name.")
# The whole account (the ``account`` family): no project labels
SERVICE_ID = Attribute("ovh.service.id", "OVH's id of the service (`/services/{serviceId}`).")
SERVICE_NAME = Attribute(
    "ovh.service.name",
    "The service's `resource.name`: a server's or a domain's name, an IP block; a Public Cloud project's "
    "is its id, so it joins `cloud_account_id`. Left out while the service's details are not read.",
)
PRODUCT = Attribute(
    "ovh.product", "The service's product (`resource.product.name`): `publiccloud`, a server, a domain..."
)
RENEW_MODE = Attribute(
    "ovh.renew_mode",
    "How the service renews (`billing.renew.current.mode`): `automatic`, or `manual` (it expires unless "
    "someone renews it). Left out when OVH does not say.",
    ("automatic", "manual"),
)
PLAN_FAMILY = Attribute("ovh.plan_family", "The family of the offer consumed (`elements[].planFamily`).")
BILL_ID = Attribute("ovh.bill.id", "OVH's id of the bill (`FR12345678`).")
BILL_CATEGORY = Attribute(
    "ovh.bill.category",
    "What the bill is for, as OVH classes it.",
    (
        "autorenew",
        "earlyrenewal",
        "purchase",
        "purchase-cloud",
        "purchase-servers",
        "purchase-telecom",
        "purchase-web",
    ),
)
CREDIT_BALANCE = Attribute("ovh.credit.balance", "The credit balance's name (`balanceName`).")
CREDIT_TYPE = Attribute(
    "ovh.credit.type", "The kind of credit balance.", ("BONUS", "DEPOSIT", "PREPAID_ACCOUNT", "VOUCHER")
)

# The exporter's own health
HTTP_ROUTE = Attribute(
    "http.route", "The OVH API route template called (`/cloud/project/{serviceName}/...`)."
)
HTTP_STATUS = Attribute(
    "http.response.status_code", "The HTTP status OVH answered; 0 when no answer came (a timeout, say)."
)
ERROR_TYPE = Attribute("error.type", "Why the call brought no usable answer.", REASONS)
FAMILY = Attribute(
    "otel_ovh.family", "The family of OVH calls the data comes from (`collect.families`).", FAMILY_NAMES
)
