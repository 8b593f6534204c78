"""The registry of simulated families: each is the module of its name in this package, answering the
calls of the product's family of the same name (a test holds that every product family has one).

The world dispatches every project path through ``HANDLERS`` and every signed path outside the projects
(``/me/...``, ``/services/...``) through ``ACCOUNT_HANDLERS``, runs each family's ``populate`` on a new
project and its ``autoscale`` on ``World.autoscale``; the server and the world never name a family.
"""

from __future__ import annotations

from importlib import import_module
from types import MappingProxyType

from otel_ovh.simulator.family import AccountHandler, Autoscale, Family, Handler, Populate, PublicHandler
from otel_ovh.simulator.routes import PROJECTS

# One line per family. The order is the order in which new projects are populated: a family may read
# what one before it made (kube's nodes are instances that network may associate a floating IP with).
FAMILY_NAMES: tuple[str, ...] = (
    "project",
    "quota",
    "instances",
    "volumes",
    "storage",
    "cost",
    "forecast",
    "credits",
    "budget",
    "savings_plans",
    "kube",
    "network",
    "catalog",
    "advice",
    "account",
    "account_gap",
)
# Product families the simulator does not answer, each with the reason (none today).
NOT_SIMULATED: dict[str, str] = {}

FAMILIES: dict[str, Family] = {name: import_module(f"{__name__}.{name}").FAMILY for name in FAMILY_NAMES}


def _handlers() -> dict[str, Handler]:
    handlers: dict[str, Handler] = {}
    for name, family in FAMILIES.items():
        for template, handler in family.routes.items():
            if template in handlers or template == PROJECTS:
                raise ValueError(f"simulated family {name} declares {template}, which is already served")
            handlers[template] = handler
    return handlers


HANDLERS = MappingProxyType(_handlers())


def _account_handlers() -> dict[str, AccountHandler]:
    handlers: dict[str, AccountHandler] = {}
    for name, family in FAMILIES.items():
        for template, handler in family.account.items():
            if template in handlers or template in HANDLERS or template.startswith(PROJECTS):
                raise ValueError(f"simulated family {name} declares {template}, which is already served")
            handlers[template] = handler
    return handlers


# Signed routes outside the projects (``/me/...``, ``/services/...``): template -> handler.
ACCOUNT_HANDLERS = MappingProxyType(_account_handlers())
ACCOUNT_ROUTES: tuple[str, ...] = tuple(ACCOUNT_HANDLERS)
# Routes answered without authentication, outside the projects: exact path -> handler.
PUBLIC: MappingProxyType[str, PublicHandler] = MappingProxyType(
    {path: handler for family in FAMILIES.values() for path, handler in family.public.items()}
)
POPULATE: tuple[Populate, ...] = tuple(f.populate for f in FAMILIES.values() if f.populate is not None)
AUTOSCALE: tuple[Autoscale, ...] = tuple(f.autoscale for f in FAMILIES.values() if f.autoscale is not None)
# Every project path the API answers: the project list, then the families' routes.
CLOUD_ROUTES: tuple[str, ...] = (PROJECTS, *HANDLERS)
