"""A real Alertmanager (Debian's ``prometheus-alertmanager``) routing every alert to a webhook receiver
of the test, which keeps what it is sent: the last hop an alert makes before it reaches a person."""

from __future__ import annotations

import json
import threading
import time
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import yaml

from tests.support.errors import HarnessError
from tests.support.ports import LOOPBACK, free_port
from tests.support.process import ProcessService, require_binary

ALERTMANAGER_BIN = "/usr/bin/prometheus-alertmanager"
_INSTALL_HINT = "install the Debian package 'prometheus-alertmanager' (scripts/test does)"


class Webhook:
    """An HTTP server that records each notification body Alertmanager posts (webhook_config v4)."""

    def __init__(self) -> None:
        self.notifications: list[dict[str, Any]] = []
        received = self.notifications

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                received.append(json.loads(self.rfile.read(length)))
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, format: str, *args: Any) -> None:
                return None

        self._server = ThreadingHTTPServer((LOOPBACK, free_port()), Handler)
        self.url = f"http://{LOOPBACK}:{self._server.server_address[1]}/alerts"
        threading.Thread(target=self._server.serve_forever, daemon=True).start()

    def alerts(self) -> list[dict[str, Any]]:
        """Every alert received so far, of every notification."""
        return [alert for body in list(self.notifications) for alert in body.get("alerts", [])]

    def wait_for(self, name: str, timeout: float = 60.0) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = [
                a for a in self.alerts() if a["labels"].get("alertname") == name and a["status"] == "firing"
            ]
            if found:
                return found[0]
            time.sleep(0.2)
        names = sorted({a["labels"].get("alertname", "?") for a in self.alerts()})
        raise HarnessError(f"no firing {name} reached the webhook in {timeout:.0f}s (received: {names})")

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()


class AlertmanagerServer(ProcessService):
    """Alertmanager on 127.0.0.1:<free port>, clustering off, sending every alert to ``webhook`` at once."""

    name = "alertmanager"

    def __init__(self, webhook: Webhook, binary: str = ALERTMANAGER_BIN) -> None:
        self.webhook = webhook
        self.binary = binary
        self.port = 0
        super().__init__()

    @property
    def address(self) -> str:
        return f"{LOOPBACK}:{self.port}"

    def config(self) -> dict[str, Any]:
        return {
            "route": {
                "receiver": "test",
                "group_by": ["alertname", "cloud_account_id"],
                "group_wait": "1s",
                "group_interval": "1s",
                "repeat_interval": "1h",
            },
            "receivers": [
                {"name": "test", "webhook_configs": [{"url": self.webhook.url, "send_resolved": True}]}
            ],
        }

    def start(self) -> None:
        binary = require_binary(self.binary, "prometheus-alertmanager", _INSTALL_HINT)
        self._make_workdir()
        self.port = free_port()
        config = self.workdir / "alertmanager.yml"
        config.write_text(yaml.safe_dump(self.config()), encoding="utf-8")
        self._launch(
            [
                binary,
                f"--config.file={config}",
                f"--storage.path={self.workdir / 'data'}",
                f"--web.listen-address={self.address}",
                "--cluster.listen-address=",  # one instance, no gossip port
            ]
        )
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            self._require_process().check_alive()
            try:
                with urllib.request.urlopen(f"http://{self.address}/-/ready", timeout=1) as answer:
                    if answer.status == 200:
                        return
            except OSError:
                time.sleep(0.1)
        self.stop()
        raise HarnessError(f"Alertmanager not ready on {self.address}\n{self.log()}")
