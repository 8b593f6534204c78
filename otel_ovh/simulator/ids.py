"""Identifiers: random ones from the world's seeded generator, stable ones from a hash of their parts.

Random ids (instances, volumes…) come from the generator so that the same seed gives the same world;
stable ids (a flavor in a region, a usage component) are hashes so that they need no stored state.
"""

from __future__ import annotations

import hashlib
import random
import string
import uuid

_ALNUM = string.ascii_letters + string.digits


def random_uuid(rng: random.Random) -> str:
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


def random_hex(rng: random.Random, length: int = 32) -> str:
    """A project id is 32 lowercase hex characters."""
    return f"{rng.getrandbits(length * 4):0{length}x}"


def random_token(rng: random.Random, length: int) -> str:
    """Application keys, secrets and consumer keys are alphanumeric strings."""
    return "".join(rng.choice(_ALNUM) for _ in range(length))


def stable_uuid(*parts: object) -> str:
    digest = hashlib.sha1("\x1f".join(map(str, parts)).encode()).digest()
    return str(uuid.UUID(bytes=digest[:16], version=4))
