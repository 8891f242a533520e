"""The warning app's domain actions: one module per kind (signals, evaluation, alerts,
assessments, backtest). Views, the API, commands and tasks call these, never each other."""
