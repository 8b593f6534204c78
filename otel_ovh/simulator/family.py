"""What a simulated family is: the routes it answers, and the part of the account only it generates.

Each module of ``simulator/families/`` builds one ``Family``, named after the product's family whose
calls it answers; ``families/__init__.py`` is the registry the world dispatches through. A handler gets
a ``View`` (one project read at one instant), the path's parameters and the query, and returns the JSON
value of the answer, or raises ``ApiError``. ``populate`` runs once per new project, after the shared
generator laid out its instances, volumes, storage and billed extras, and draws from its own random
stream, so adding a family leaves the rest of a seeded account as it was. ``autoscale`` is one pass of
an autoscaler over a project (``World.autoscale``): it creates and deletes instances now, through the
generator's ``add_instance``, and returns the ids of those it deleted.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from otel_ovh.simulator.errors import not_found
from otel_ovh.simulator.generate import Generator
from otel_ovh.simulator.model import Instance, Project

Json = dict[str, Any]
Query = dict[str, str]


class View:
    """One project as its endpoints answer it at ``now`` (epoch seconds)."""

    def __init__(self, project: Project, now: int, seed: int) -> None:
        self.p = project
        self.now = now
        self.seed = seed
        # Answers one rendering asks again and again (a flavor list asks each region's quota once per
        # flavor), keyed by whoever computes them; a view lives for one rendering only.
        self.memo: dict[tuple[str, str], Any] = {}

    def region_name(self, name: str) -> str:
        """``name`` when the project has that region; the API's 404 otherwise."""
        if name not in self.p.regions:
            raise not_found(f"Region {name} does not exist")
        return name


class AccountView:
    """The whole account as the routes outside the projects answer it at ``now``: ``/me/...`` and
    ``/services/...``, which see every project (each project is a service of the account)."""

    def __init__(self, projects: list[Project], now: int, seed: int) -> None:
        self.projects = projects
        self.now = now
        self.seed = seed


Handler = Callable[[View, dict[str, str], Query], Any]
AccountHandler = Callable[[AccountView, dict[str, str], Query], Any]  # a signed route outside the projects
PublicHandler = Callable[[Query], Any]  # a route OVH answers without authentication, for any account
Populate = Callable[[Generator, Project, int, bool], None]  # generator, new project, now, empty
AddInstance = Callable[[Project, str, int, int, int | None], Instance]  # Generator.add_instance
Autoscale = Callable[[random.Random, Project, int, AddInstance], list[str]]  # rng, project, now, add


@dataclass(frozen=True)
class Family:
    """``routes``: path template (relative to ``/1.0``, OVH's parameter names) -> handler; ``public``:
    exact path -> handler of the routes OVH answers to anyone (the price list); ``account``: template ->
    handler of the signed routes outside ``/cloud/project`` (``/me/...``, ``/services/...``), which
    answer for the whole account and need a consumer-key rule of their own."""

    routes: Mapping[str, Handler]
    account: Mapping[str, AccountHandler] = field(default_factory=dict)
    public: Mapping[str, PublicHandler] = field(default_factory=dict)  # unsigned, outside any project
    populate: Populate | None = None
    autoscale: Autoscale | None = None
