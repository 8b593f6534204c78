"""The classic way, for comparison: a prometheus_client collector that asks OVH everything on every scrape.

This is how most OVH exporters are written: ``collect()`` lists the projects and, for each one in turn,
calls every route it needs with the official ``ovh`` client, then builds metric families from the answers.
It is deliberately plain (sequential, no cache, no snapshot) because that is the design otel-ovh's figures
are measured against; it makes the same data calls otel-ovh would make without its region cache (every
region's S3 listing), and exposes a comparable set of series.

Run on its own (the benchmark does this, so that its CPU and memory are its own)::

    OTEL_OVH_OVH__ENDPOINT=http://127.0.0.1:8080/1.0 OTEL_OVH_OVH__APPLICATION_KEY=… \\
    OTEL_OVH_OVH__APPLICATION_SECRET=… OTEL_OVH_OVH__CONSUMER_KEY=… python -m benchmarks.baseline --port 9465
"""

from __future__ import annotations

import argparse
import os
import threading
from collections.abc import Iterator
from typing import Any

import ovh
import ovh.client
from prometheus_client import CollectorRegistry, start_http_server
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from prometheus_client.registry import Collector

GIB = 1024**3
P = "/cloud/project/{}"


class ClassicOvhCollector(Collector):
    """Every scrape: every project, every route, one call after the other."""

    def __init__(self, client: ovh.Client) -> None:
        self._client = client
        self._lock = threading.Lock()  # one ovh.Client (a requests session) is not for concurrent use

    def collect(self) -> Iterator[Any]:
        with self._lock:
            yield from self._collect()

    def _collect(self) -> Iterator[Any]:
        get = self._client.get
        labels = ["cloud_account_id"]
        info = GaugeMetricFamily(
            "ovh_cloud_project_info", "project", labels=[*labels, "ovh_status", "ovh_plan"]
        )
        cost = CounterMetricFamily(
            "ovh_cloud_cost",
            "month-to-date cost",
            labels=[*labels, "cloud_region", "ovh_sku", "cloud_resource_id"],
        )
        forecast = GaugeMetricFamily("ovh_cloud_cost_forecast", "forecast", labels=labels)
        quota = GaugeMetricFamily(
            "ovh_cloud_quota_limit", "quota", labels=[*labels, "cloud_region", "ovh_quota"]
        )
        res = [*labels, "cloud_region", "cloud_resource_id", "ovh_resource_name", "ovh_status"]
        vcpus = GaugeMetricFamily("ovh_cloud_instance_vcpus", "vCPUs", labels=[*res, "ovh_sku"])
        memory = GaugeMetricFamily("ovh_cloud_instance_memory_bytes", "RAM", labels=[*res, "ovh_sku"])
        volume = GaugeMetricFamily("ovh_cloud_volume_size_bytes", "volume size", labels=res)
        storage = GaugeMetricFamily(
            "ovh_cloud_storage_size_bytes", "stored", labels=[*labels, "cloud_region", "cloud_resource_id"]
        )
        for pid in get("/cloud/project"):
            project = get(P.format(pid))
            info.add_metric([pid, str(project.get("status")), str(project.get("planCode"))], 1)
            usage = get(P.format(pid) + "/usage/current")
            for section in ("hourlyUsage", "monthlyUsage"):
                for line in (usage.get(section) or {}).get("instance") or []:
                    for detail in line.get("details") or []:
                        cost.add_metric(
                            [
                                pid,
                                line.get("region", ""),
                                line.get("reference", ""),
                                detail.get("instanceId", ""),
                            ],
                            float(detail.get("totalPrice") or 0),
                        )
            total = (get(P.format(pid) + "/usage/forecast") or {}).get("totalPrice")
            if isinstance(total, dict):
                forecast.add_metric([pid], float(total.get("value") or 0))
            for q in get(P.format(pid) + "/quota"):
                for category, values in q.items():
                    if isinstance(values, dict):
                        for key, value in values.items():
                            if key.startswith("max") and isinstance(value, int) and value >= 0:
                                quota.add_metric([pid, q["region"], f"{category}.{key}"], value)
            flavors = {f["id"]: f for f in get(P.format(pid) + "/flavor")}
            for i in get(P.format(pid) + "/instance"):
                flavor = flavors.get(i.get("flavorId"), {})
                row = [
                    pid,
                    i.get("region", ""),
                    i["id"],
                    i.get("name", ""),
                    i.get("status", ""),
                    flavor.get("name", ""),
                ]
                vcpus.add_metric(row, float(flavor.get("vcpus") or 0))
                memory.add_metric(row, float(flavor.get("ram") or 0) * GIB)
            for v in get(P.format(pid) + "/volume"):
                volume.add_metric(
                    [pid, v.get("region", ""), v["id"], v.get("name", ""), v.get("status", "")],
                    float(v.get("size") or 0) * GIB,
                )
            for c in get(P.format(pid) + "/storage"):
                storage.add_metric(
                    [pid, c.get("region", ""), c.get("name", "")], float(c.get("storedBytes") or 0)
                )
            for region in get(P.format(pid) + "/region"):
                try:
                    buckets = get(P.format(pid) + f"/region/{region}/storage")
                except ovh.exceptions.APIError:
                    continue  # no object storage in this region
                for b in buckets:
                    storage.add_metric([pid, region, b.get("name", "")], float(b.get("objectsSize") or 0))
        yield from (info, cost, forecast, quota, vcpus, memory, volume, storage)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=9465)
    args = parser.parse_args()
    endpoint = os.environ["OTEL_OVH_OVH__ENDPOINT"]
    ovh.client.ENDPOINTS[endpoint] = endpoint  # python-ovh only knows named endpoints
    client = ovh.Client(
        endpoint=endpoint,
        application_key=os.environ["OTEL_OVH_OVH__APPLICATION_KEY"],
        application_secret=os.environ["OTEL_OVH_OVH__APPLICATION_SECRET"],
        consumer_key=os.environ["OTEL_OVH_OVH__CONSUMER_KEY"],
        timeout=60,
    )
    registry = CollectorRegistry(auto_describe=False)
    registry.register(ClassicOvhCollector(client))
    _server, thread = start_http_server(args.port, addr=args.host, registry=registry)
    print(f"baseline listening on {args.host}:{args.port}", flush=True)
    thread.join()


if __name__ == "__main__":
    main()
