"""Fixtures shared by every test directory: real servers from the harness."""

pytest_plugins = ["tests.support.pytest_plugin", "tests.support.parallel"]
