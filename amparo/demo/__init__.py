"""The demo world: synthetic organisations, accounts, case records and intake reports.

An app of its own that may depend on every other app and that none depends on. `amparo demo`
runs the steps of `world.STEPS` in order; each app adds its own module here (warning,
response, stats, …) and its step to that list. Records are built as the services build them:
the same validation, encryption, versions and audit entries.
"""
