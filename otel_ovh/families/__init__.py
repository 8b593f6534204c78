"""The OVH families: one module each, listed once in the registry below.

(Being rebuilt: until every family module exists, only the names are declared here.)
"""

FAMILY_NAMES: tuple[str, ...] = ("cost", "forecast", "quota", "instances", "volumes", "storage", "project")
