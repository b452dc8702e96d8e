"""The rules engine's public API: load a rules file, compile it, decide messages (pure, no I/O)."""

from bot.rules.actions import ActionSet, Ban, Kick, Mute, Sanction, Warn, merge_all
from bot.rules.context import EvalContext
from bot.rules.engine import Decision, Engine, RuleMatch
from bot.rules.history import History
from bot.rules.loader import RulesError, load_rules
from bot.rules.schema import LadderStep, Rule, RuleSet

__all__ = [
    "ActionSet",
    "Ban",
    "Decision",
    "Engine",
    "EvalContext",
    "History",
    "Kick",
    "LadderStep",
    "Mute",
    "Rule",
    "RuleMatch",
    "RuleSet",
    "RulesError",
    "Sanction",
    "Warn",
    "load_rules",
    "merge_all",
]
