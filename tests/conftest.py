"""Fixtures shared by the whole test suite.

The environment plumbing (PostgreSQL and browser markers, the Playwright ``browser``, ``page`` and
``new_page`` fixtures) lives in tests/plugins/environment.py.
"""

pytest_plugins = ["tests.plugins.environment", "tests.plugins.audit_log"]
