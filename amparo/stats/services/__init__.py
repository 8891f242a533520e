"""Every write and every computation of the statistics app, one module per domain: the facts
(`facts`, kept in memory by `snapshot`), tables and their exports (`tables`, `exports`), the
dashboard, SDG indicator 16.10.1 (`sdg`), estimates of undocumented victims (`estimates`), laws
(`laws`), de-duplication (`dedupe`) and PDF reports (`reports`). Views, the API and commands call
these; permission is asked of `amparo.stats.access`.
"""
