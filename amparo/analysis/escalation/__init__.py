"""Early warning without Django: risk assessment, escalation rules and their backtest.

Plain tables in, plain tables out (issue 11, "Risk assessment", "Escalation rules", "Measured, not
asserted"). The Django app `warning` builds the signals table from case records and intake reports
and stores what comes out; this package decides nothing about who may see it.

    vocabularies = Vocabularies.shipped()                 # or built from the loaded Thesaurus terms
    rules = load_rules(vocabularies=vocabularies)         # escalation_rules.yaml, checked
    model = load_risk_model(vocabularies=vocabularies)    # risk_model.yaml, checked
    facts = Facts.from_frame(signals, vocabularies)       # SIGNAL_COLUMNS; SignalsError says where

    firings = evaluate(facts, rules, as_of=today)         # .table(): rule, subject, facts, episode
    assessments = assess(facts, model, as_of=today)       # .table() and .reasons(): level and why
    report = backtest(facts, rules, model, start, end, baseline=load_rules(BASELINE_FILE))
    print(format_report(report))

Days are integers counted from 1970-01-01 (`to_day`, `from_day` convert).
"""

from amparo.analysis.escalation.backtest import Alerts, Settings, backtest, format_report, replay
from amparo.analysis.escalation.documents import DefinitionError, Labels, Problem
from amparo.analysis.escalation.risk import (
    RISK_FILE,
    Assessments,
    RiskModel,
    assess,
    load_risk_model,
)
from amparo.analysis.escalation.rules import (
    BASELINE_FILE,
    RULES_FILE,
    Firings,
    Rule,
    RuleSet,
    evaluate,
    load_rules,
)
from amparo.analysis.escalation.signals import (
    SIGNAL_COLUMNS,
    Facts,
    SignalProblem,
    SignalsError,
    empty_signals,
    from_day,
    to_day,
)
from amparo.analysis.escalation.vocabulary import Hierarchy, Vocabularies

__all__ = [
    "BASELINE_FILE",
    "RISK_FILE",
    "RULES_FILE",
    "SIGNAL_COLUMNS",
    "Alerts",
    "Assessments",
    "DefinitionError",
    "Facts",
    "Firings",
    "Hierarchy",
    "Labels",
    "Problem",
    "RiskModel",
    "Rule",
    "RuleSet",
    "Settings",
    "SignalProblem",
    "SignalsError",
    "Vocabularies",
    "assess",
    "backtest",
    "empty_signals",
    "evaluate",
    "format_report",
    "from_day",
    "load_risk_model",
    "load_rules",
    "replay",
    "to_day",
]
