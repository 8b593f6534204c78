"""The endpoint listens on loopback unless told otherwise; the container says 0.0.0.0 explicitly."""

from __future__ import annotations

import socket
from pathlib import Path

from otel_ovh.serve.app import Exporter
from otel_ovh.settings.config import parse_settings
from otel_ovh.simulator import SimulatedOvh, World, WorldShape
from tests.security.support import FAKE_KEYS, ROOT, sim_env, start_serve


def listening_addresses(port: int) -> set[str]:
    """Local addresses of the sockets listening on ``port``, from /proc/net/tcp and tcp6 (hex, as the
    kernel writes them: 0100007F is 127.0.0.1, 00000000 is 0.0.0.0)."""
    found = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            local, state = line.split()[1], line.split()[3]
            address, hex_port = local.split(":")
            if state == "0A" and int(hex_port, 16) == port:  # 0A: LISTEN
                found.add(address)
    return found


def test_default_host_is_loopback() -> None:
    settings = parse_settings({"ovh": FAKE_KEYS, "prometheus": {"port": 0}})
    assert settings.prometheus.host == "127.0.0.1"
    exporter = Exporter.build(settings)
    try:
        assert exporter.server is not None and exporter.server.host == "127.0.0.1"
        assert listening_addresses(exporter.server.port) == {"0100007F"}
    finally:
        exporter.stop()


def test_served_process_listens_on_loopback_only(tmp_path: Path) -> None:
    with SimulatedOvh(World(seed=3, shape=WorldShape(projects=1)), port=0) as sim:
        served = start_serve(tmp_path, sim_env(sim, tmp_path))
        try:
            assert listening_addresses(served.port) == {"0100007F"}, served.output()
            assert f"serving metrics on http://127.0.0.1:{served.port}/metrics" in served.output()
            with socket.create_connection(("127.0.0.1", served.port), timeout=5):
                pass
        finally:
            served.stop()


def test_the_container_listens_on_all_interfaces_by_saying_so() -> None:
    """Inside a container loopback is unreachable from Prometheus; the image opts in, the default does not."""
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert "OTEL_OVH_PROMETHEUS__HOST=0.0.0.0" in dockerfile
