"""Typed pydantic models of the whole rules file, with owner-friendly validation errors."""

from __future__ import annotations

import difflib
import re
import string
from collections.abc import Callable, Mapping, Sequence
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Literal, Union, get_args, get_origin

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainValidator,
    PrivateAttr,
    StrictBool,
    StrictInt,
    ValidationError,
    ValidationInfo,
    WithJsonSchema,
    WrapValidator,
    model_validator,
)
from pydantic_core import PydanticCustomError

from bot.rules.actions import (
    ACTION_NAMES,
    ActionError,
    ActionSet,
    Ban,
    Kick,
    Mute,
    Sanction,
    Warn,
    merge_all,
    parse_action,
)
from bot.rules.durations import DurationError, parse_duration

if TYPE_CHECKING:
    from bot.rules.conditions import Node

SUPPORTED_VERSIONS = (1,)
TEMPLATE_FIELDS = ("member", "community", "rule", "reason", "duration")

Loc = tuple[str | int, ...]
At = Literal["value", "key", "parent"]

# An error type carrying already-worded problems found inside one value (a condition, an action
# list, a ladder): ``ctx["errors"]`` holds pydantic-shaped error dicts, located relative to it.
NESTED = "nested"
# Stands for a schema that json_schema() fills in: pydantic cannot see the conditions table.
_PLACEHOLDER = "x-modbot"
_DURATION_PATTERN = r"^\s*\d{1,9}\s*[smhdw]\s*$"
PROBLEM = "rules_problem"


# --- errors ------------------------------------------------------------------------------------


def problem(loc: Loc, message: str, at: At = "value") -> dict[str, Any]:
    """One already-worded problem, shaped like a pydantic error so both flatten alike."""
    return {"type": PROBLEM, "loc": loc, "msg": message, "input": None, "ctx": {"at": at}}


def nested(errors: list[Any]) -> PydanticCustomError:
    """The error a validator raises to report several located problems inside its value."""
    return PydanticCustomError(NESTED, "{count} problems", {"errors": errors, "count": len(errors)})


def validate_reporting(handler: Callable[[Any], Any], value: Any, errors: list[Any]) -> Any:
    """Run pydantic's own validation, then report its errors and ``errors`` found beside it together."""
    try:
        result = handler(value)
    except ValidationError as exc:
        raise nested([*exc.errors(include_url=False), *errors]) from None
    if errors:
        raise nested(errors)
    return result


def did_you_mean(word: object, known: Sequence[str]) -> str:
    """`` (did you mean "x"?)`` when a known word is close to ``word``, else an empty string."""
    if not isinstance(word, str):
        return ""
    close = difflib.get_close_matches(word, list(known), n=1, cutoff=0.6)
    return f' (did you mean "{close[0]}"?)' if close else ""


def shown(value: object) -> str:
    """A YAML value as an owner would recognise it in a message."""
    if value is None:
        return "nothing"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return f'"{value}"' if len(value) <= 60 else f'"{value[:57]}..."'
    if isinstance(value, Mapping):
        return "a mapping"
    if isinstance(value, list | tuple):
        return "a list"
    return str(value)


_KIND_WORDS = {
    "int": "a whole number",
    "float": "a number",
    "string": "text",
    "bool": "true or false",
    "list": "a list",
    "tuple": "a list",
    "dict": "a mapping (key: value)",
    "model": "a mapping (key: value)",
    "model_attributes": "a mapping (key: value)",
    "dataclass": "a mapping (key: value)",
}


def friendly_message(err: Mapping[str, Any], known_keys: Sequence[str] = ()) -> tuple[str, At]:
    """Word one pydantic error for an owner, and say whether it points at the key or the value."""
    kind = str(err.get("type", ""))
    value = err.get("input")
    ctx = err.get("ctx") or {}
    msg = str(err.get("msg", ""))
    loc = err.get("loc") or ()
    last = loc[-1] if loc else ""
    if kind == PROBLEM:
        return msg, ctx.get("at", "value")
    if kind == "missing":
        return f'missing required key "{last}"', "parent"
    if kind == "extra_forbidden":
        hint = did_you_mean(last, known_keys)
        if not hint and known_keys:
            hint = f"; expected one of {', '.join(known_keys)}"
        return f'unknown key "{last}"{hint}', "key"
    if kind == "value_error":
        return str(ctx.get("error", msg.removeprefix("Value error, "))), "value"
    if kind == "int_from_float":
        return f"expected a whole number, got {shown(value)}", "value"
    base = kind.removesuffix("_type").removesuffix("_parsing")
    if base in _KIND_WORDS and (kind.endswith("_type") or kind.endswith("_parsing")):
        return f"expected {_KIND_WORDS[base]}, got {shown(value)}", "value"
    if kind == "literal_error":
        options = re.findall(r"'([^']*)'", str(ctx.get("expected", "")))
        hint = did_you_mean(value, options)
        listed = ", ".join(options)
        return f"expected one of {listed}, got {shown(value)}{hint}", "value"
    if kind in ("greater_than_equal", "greater_than", "less_than_equal", "less_than"):
        words = {
            "greater_than_equal": "at least",
            "greater_than": "more than",
            "less_than_equal": "at most",
            "less_than": "less than",
        }[kind]
        bound = next(iter(ctx.values()), "")
        return f"expected a number {words} {bound}, got {shown(value)}", "value"
    if kind == "too_short":
        return f"expected at least {ctx.get('min_length', 1)} item(s)", "value"
    if kind == "string_pattern_mismatch":
        return f"{shown(value)} does not have the expected form", "value"
    return msg, "value"


_TAG = re.compile(r"^[a-z_-]+\[.*\]$")


def flatten_errors(
    errors: Sequence[Mapping[str, Any]], prefix: Loc = ()
) -> list[tuple[Loc, str, At]]:
    """Expand nested errors into (absolute loc, message, at) triples, pydantic's tags removed."""
    out: list[tuple[Loc, str, At]] = []
    for err in errors:
        raw_loc = tuple(err.get("loc") or ())
        at_key = "[key]" in raw_loc
        loc = prefix + tuple(
            p for p in raw_loc if not (isinstance(p, str) and (p == "[key]" or _TAG.match(p)))
        )
        if err.get("type") == NESTED:
            out.extend(flatten_errors((err.get("ctx") or {}).get("errors", []), loc))
            continue
        message, at = friendly_message({**err, "loc": loc}, keys_at(loc[:-1]))
        out.append((loc, message, "key" if at_key else at))
    return out


def _reraise_nested(exc: ValidationError) -> PydanticCustomError:
    return nested(list(exc.errors(include_url=False)))


# --- scalar types --------------------------------------------------------------------------------


def _text(value: object) -> object:
    # YAML reads `name: 2024` or an unquoted role id as a number; the owner meant the text.
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    return value


def _none_as_empty(empty: Callable[[], object]) -> Callable[[object], object]:
    # `community:` with everything under it commented out is null in YAML: treat it as absent.
    def convert(value: object) -> object:
        return empty() if value is None else value

    return convert


def _one_or_many(value: object) -> object:
    if value is None:
        return []
    if isinstance(value, str | int | float | Mapping) and not isinstance(value, bool):
        return [value]
    return value


def _duration(value: object) -> timedelta:
    try:
        return parse_duration(value)
    except DurationError as exc:
        raise ValueError(str(exc)) from None


def template_problems(text: str) -> list[str]:
    """Problems with a message template: unknown ``{placeholders}`` or unbalanced braces."""
    try:
        parts = list(string.Formatter().parse(text))
    except ValueError:
        return ['unbalanced "{" or "}" (write {{ or }} for a literal brace)']
    allowed = ", ".join("{" + f + "}" for f in TEMPLATE_FIELDS)
    out: list[str] = []
    for _, field, spec, conversion in parts:
        if field is None:
            continue
        if field not in TEMPLATE_FIELDS:
            hint = did_you_mean(field, TEMPLATE_FIELDS)
            hint = hint.replace('"?)', '}"?)').replace('mean "', 'mean "{')
            shown_field = "{" + field + "}" if field else "{}"
            out.append(f'unknown placeholder "{shown_field}"{hint}; allowed: {allowed}')
        elif spec or conversion:
            out.append(f'placeholder "{{{field}}}" takes no format; write just {{{field}}}')
    return out


def _template(value: str) -> str:
    problems = template_problems(value)
    if problems:
        raise ValueError("; ".join(problems))
    return value


def _welcome(value: object) -> object:
    value = _text(value)
    return None if value == "" else value


def _rule_id(value: str) -> str:
    if not re.fullmatch(r"[a-z0-9-]+", value):
        suggestion = re.sub(r"[^a-z0-9-]+", "-", value.lower()).strip("-") or "my-rule"
        raise ValueError(
            f'rule id "{value}" may use only lower-case letters, digits and "-" '
            f'(e.g. "{suggestion}")'
        )
    return value


def _backend(value: object) -> object:
    # YAML 1.1 reads an unquoted `off` as false (and `on` as true).
    if value is False or value is None:
        return "off"
    if value is True:
        return "builtin"
    return value


def _version(value: object) -> int:
    if isinstance(value, int) and not isinstance(value, bool) and value in SUPPORTED_VERSIONS:
        return value
    versions = ", ".join(str(v) for v in SUPPORTED_VERSIONS)
    raise ValueError(f"unsupported version {shown(value)}: this bot reads version {versions}")


Text = Annotated[str, BeforeValidator(_text)]
TextList = Annotated[tuple[Text, ...], BeforeValidator(_none_as_empty(tuple))]
Duration = Annotated[
    timedelta,
    BeforeValidator(_duration),
    WithJsonSchema({"type": "string", "pattern": _DURATION_PATTERN}),
]
Template = Annotated[str, AfterValidator(_template)]


class Frozen(BaseModel):
    """Base of every model: unknown keys are errors and nothing changes after loading."""

    model_config = ConfigDict(extra="forbid", frozen=True, validate_by_name=True)


# --- sections ------------------------------------------------------------------------------------


class Community(Frozen):
    """Who the bot speaks for, in which language, and what it tells members."""

    name: Text = ""
    language: Literal["vi", "en"] = "en"
    guidelines: TextList = ()
    welcome: Annotated[Template | None, BeforeValidator(_welcome)] = None


class Roles(Frozen):
    """Role names or ids of moderators (may use commands) and of exempt members."""

    moderators: TextList = ()
    exempt: TextList = ()


class Channels(Frozen):
    """Where actions and alerts are posted, per platform (channel or chat id)."""

    log: Annotated[
        dict[Literal["discord", "telegram"], Text], BeforeValidator(_none_as_empty(dict))
    ] = Field(default_factory=dict)


class ToxicitySettings(Frozen):
    """Which toxicity scorer to use and what to do when it fails."""

    backend: Annotated[Literal["builtin", "detoxify", "off"], BeforeValidator(_backend)] = "builtin"
    model: Text = "original"
    on_error: Literal["allow", "hold"] = "allow"


class Privacy(Frozen):
    """How long message text is kept in cases."""

    keep_message_text: Duration = timedelta(days=90)


_STEP_KEYS = ("strikes", "action", "duration")
_SANCTIONS = ("warn", "mute", "kick", "ban")


def _sanction(value: object) -> Sanction:
    if isinstance(value, Warn | Mute | Kick | Ban):
        return value
    raise ValueError("expected a sanction (warn, mute, kick or ban)")


class LadderStep(Frozen):
    """A ladder rung: at ``strikes`` active strikes, apply ``sanction``."""

    strikes: StrictInt = Field(ge=1)
    sanction: Annotated[
        Sanction,
        PlainValidator(_sanction),
        WithJsonSchema({"type": "string"}),
    ]

    @model_validator(mode="before")
    @classmethod
    def _from_yaml(cls, data: Any) -> Any:
        if not isinstance(data, Mapping) or "sanction" in data:
            return data
        errors: list[Any] = []
        for key in data:
            if key not in _STEP_KEYS:
                hint = did_you_mean(key, _STEP_KEYS) or f"; expected one of {', '.join(_STEP_KEYS)}"
                errors.append(problem((key,), f'unknown key "{key}"{hint}', "key"))
        strikes = data.get("strikes")
        if "strikes" not in data:
            errors.append(problem(("strikes",), 'missing required key "strikes"', "parent"))
        elif isinstance(strikes, bool) or not isinstance(strikes, int) or strikes < 1:
            errors.append(
                problem(
                    ("strikes",), f"expected a whole number of at least 1, got {shown(strikes)}"
                )
            )
        sanction: Sanction | None = None
        action = data.get("action")
        duration = data.get("duration")
        if "action" not in data:
            errors.append(problem(("action",), 'missing required key "action"', "parent"))
        elif action not in _SANCTIONS:
            hint = did_you_mean(action, _SANCTIONS)
            errors.append(
                problem(
                    ("action",), f"expected one of warn, mute, kick, ban, got {shown(action)}{hint}"
                )
            )
        elif action in ("warn", "kick"):
            if duration is not None:
                errors.append(problem(("duration",), f"{action} takes no duration"))
            sanction = Warn() if action == "warn" else Kick()
        elif action == "mute" and duration is None:
            errors.append(
                problem(
                    ("action",),
                    "mute needs a duration, e.g. {strikes: 3, action: mute, duration: 1h}",
                )
            )
        else:
            try:
                length = None if duration is None else parse_duration(duration)
            except DurationError as exc:
                errors.append(problem(("duration",), str(exc)))
            else:
                sanction = Ban(length) if action == "ban" else Mute(length)  # type: ignore[arg-type]
        if errors:
            raise nested(errors)
        return {"strikes": strikes, "sanction": sanction}


def _increasing_ladder(value: Any, handler: Callable[[Any], Any]) -> Any:
    errors: list[Any] = []
    if isinstance(value, list | tuple):
        previous: int | None = None
        for i, step in enumerate(value):
            n = step.get("strikes") if isinstance(step, Mapping) else getattr(step, "strikes", None)
            if isinstance(n, bool) or not isinstance(n, int):
                continue
            if previous is not None and n <= previous:
                errors.append(
                    problem(
                        (i, "strikes"),
                        f"steps must have increasing strike counts: {n} comes after {previous}",
                    )
                )
            previous = n if previous is None else max(previous, n)
    return validate_reporting(handler, value, errors)


class Escalation(Frozen):
    """How strikes add up to sanctions."""

    strikes_expire: Duration | None = None
    ladder: Annotated[
        tuple[LadderStep, ...],
        BeforeValidator(_none_as_empty(tuple)),
        WrapValidator(_increasing_ladder),
    ] = ()


# --- rules ---------------------------------------------------------------------------------------


def _condition(value: Any, info: ValidationInfo) -> Any:
    from bot.rules.conditions import AllOf, AnyOf, Leaf, Not, parse_condition

    if isinstance(value, Leaf | AllOf | AnyOf | Not):
        return value
    base_dir = (info.context or {}).get("base_dir") or Path.cwd()
    node, problems = parse_condition(value, Path(base_dir))
    if problems:
        errors = []
        for loc, message in problems:
            at: At = "key" if message.startswith(("unknown key", "unknown condition")) else "value"
            if message.startswith("missing required key"):
                at = "parent"
            errors.append(problem(tuple(loc), message, at))
        raise nested(errors)
    if node is None:
        raise nested([problem((), "expected a condition mapping, e.g. {words: [...]}")])
    return node


def _actions(value: Any, info: ValidationInfo) -> ActionSet:
    if isinstance(value, ActionSet):
        return value
    value = _one_or_many(value)
    if not isinstance(value, list | tuple):
        raise nested(
            [problem((), f"expected a list of actions, e.g. [delete, strike], got {shown(value)}")]
        )
    if not value:
        raise nested([problem((), "a rule needs at least one action, e.g. [delete, strike]")])
    rule_id = info.data.get("id", "") if info.data else ""
    errors: list[Any] = []
    sets: list[ActionSet] = []
    for i, item in enumerate(value):
        name = next(iter(item)) if isinstance(item, Mapping) and len(item) == 1 else item
        loc: Loc = (i, name) if isinstance(item, Mapping) and len(item) == 1 else (i,)
        if isinstance(name, str) and name not in ACTION_NAMES:
            hint = did_you_mean(name, ACTION_NAMES)
            at: At = "key" if isinstance(item, Mapping) else "value"
            errors.append(
                problem(
                    loc,
                    f'unknown action "{name}"{hint}; expected one of {", ".join(ACTION_NAMES)}',
                    at,
                )
            )
            continue
        try:
            sets.append(parse_action(item, rule_id))
        except ActionError as exc:
            # The path already ends with the action's name: "mute: ..." would say it twice.
            message = str(exc)
            if isinstance(name, str) and len(loc) > 1:
                message = message.removeprefix(f"{name}: ")
            errors.append(problem(loc, message))
            continue
        if isinstance(item, Mapping) and name == "reply":
            errors.extend(problem(loc, p) for p in template_problems(str(item["reply"])))
    if errors:
        raise nested(errors)
    return merge_all(sets)


if TYPE_CHECKING:
    ConditionNode = Node
else:
    ConditionNode = Any

Condition = Annotated[
    ConditionNode,
    BeforeValidator(_condition),
    WithJsonSchema({_PLACEHOLDER: "Condition"}),
]


class RuleTests(Frozen):
    """Samples ``modbot check`` runs: ``match`` ones must fire the rule, ``no_match`` ones not."""

    match: Annotated[tuple[Text, ...], BeforeValidator(_one_or_many)] = ()
    no_match: Annotated[tuple[Text, ...], BeforeValidator(_one_or_many)] = ()

    @property
    def count(self) -> int:
        """How many samples there are."""
        return len(self.match) + len(self.no_match)


class Rule(Frozen):
    """One rule: when ``match`` holds (and ``except`` does not), carry out ``actions``."""

    id: Annotated[str, AfterValidator(_rule_id)]
    description: Text = ""
    enabled: StrictBool = True
    mode: Literal["enforce", "shadow"] = "enforce"
    match: Condition
    except_: Condition | None = Field(default=None, alias="except")
    exempt_moderators: StrictBool = True
    actions: Annotated[
        ActionSet,
        BeforeValidator(_actions),
        WithJsonSchema({_PLACEHOLDER: "Actions"}),
    ]
    tests: Annotated[RuleTests, BeforeValidator(_none_as_empty(dict))] = RuleTests()

    @model_validator(mode="before")
    @classmethod
    def _default_description(cls, data: Any) -> Any:
        if (
            isinstance(data, Mapping)
            and data.get("description") in (None, "")
            and isinstance(data.get("id"), str)
        ):
            return {**data, "description": data["id"]}
        return data


def _unique_ids(value: Any, handler: Callable[[Any], Any]) -> Any:
    errors: list[Any] = []
    if isinstance(value, list | tuple):
        first: dict[str, int] = {}
        for i, rule in enumerate(value):
            rid = rule.get("id") if isinstance(rule, Mapping) else getattr(rule, "id", None)
            if not isinstance(rid, str):
                continue
            if rid in first:
                errors.append(
                    problem(
                        (i, "id"), f'duplicate rule id "{rid}" (first used by rules[{first[rid]}])'
                    )
                )
            else:
                first[rid] = i
    return validate_reporting(handler, value, errors)


class RuleSet(Frozen):
    """A whole rules file. ``path`` is the file it was loaded from (None when built in code)."""

    version: Annotated[int, PlainValidator(_version), WithJsonSchema({"const": 1})]
    community: Annotated[Community, BeforeValidator(_none_as_empty(dict))] = Community()
    roles: Annotated[Roles, BeforeValidator(_none_as_empty(dict))] = Roles()
    channels: Annotated[Channels, BeforeValidator(_none_as_empty(dict))] = Channels()
    toxicity: Annotated[ToxicitySettings, BeforeValidator(_none_as_empty(dict))] = (
        ToxicitySettings()
    )
    privacy: Annotated[Privacy, BeforeValidator(_none_as_empty(dict))] = Privacy()
    escalation: Annotated[Escalation, BeforeValidator(_none_as_empty(dict))] = Escalation()
    rules: Annotated[tuple[Rule, ...], WrapValidator(_unique_ids)]

    _path: Path | None = PrivateAttr(default=None)

    @property
    def path(self) -> Path | None:
        """The rules file this set was loaded from."""
        return self._path

    @property
    def base_dir(self) -> Path:
        """The folder relative paths in the file (``words_file``) are read from."""
        return self._path.parent if self._path is not None else Path.cwd()

    def with_path(self, path: str | Path | None) -> RuleSet:
        """This rule set, remembering the file it came from."""
        copy = self.model_copy()
        copy._path = Path(path) if path is not None else None
        return copy

    def rule(self, rule_id: str) -> Rule | None:
        """The rule with this id, if any."""
        return next((r for r in self.rules if r.id == rule_id), None)


# --- keys per location, for "did you mean" --------------------------------------------------------


def _unwrap(tp: Any) -> Any:
    while get_origin(tp) is Annotated:
        tp = get_args(tp)[0]
    return tp


def _step(tp: Any, part: str | int) -> Any:
    """The type found one step (a key or an index) inside ``tp``."""
    tp = _unwrap(tp)
    origin = get_origin(tp)
    if origin in (Union, getattr(__import__("types"), "UnionType", None)):
        for arg in get_args(tp):
            found = _step(arg, part)
            if found is not None:
                return found
        return None
    if isinstance(tp, type) and issubclass(tp, BaseModel) and isinstance(part, str):
        for name, field in tp.model_fields.items():
            if part in (name, field.alias):
                return field.annotation
        return None
    if origin in (list, tuple) and isinstance(part, int):
        return get_args(tp)[0]
    if origin is dict and isinstance(part, str):
        return get_args(tp)[1]
    return None


def keys_at(loc: Loc, root: type[BaseModel] = RuleSet) -> list[str]:
    """The keys a mapping at ``loc`` may have (empty when it is not a model mapping)."""
    tp: Any = root
    for part in loc:
        tp = _step(tp, part)
        if tp is None:
            return []
    tp = _unwrap(tp)
    if get_origin(tp) in (Union, getattr(__import__("types"), "UnionType", None)):
        tp = next(
            (a for a in get_args(tp) if isinstance(a, type) and issubclass(a, BaseModel)), None
        )
    if isinstance(tp, type) and issubclass(tp, BaseModel):
        return [f.alias or n for n, f in tp.model_fields.items() if n != "sanction"] or []
    return []


def json_schema() -> dict[str, Any]:
    """A JSON Schema of the rules file for editor completion (yaml-language-server)."""
    from pydantic import TypeAdapter

    from bot.rules.conditions import CONDITIONS

    schema = RuleSet.model_json_schema(by_alias=True)
    defs: dict[str, Any] = schema.setdefault("$defs", {})
    duration = {"type": "string", "pattern": _DURATION_PATTERN, "examples": ["10m"]}
    condition: dict[str, Any] = {
        "type": "object",
        "additionalProperties": False,
        "description": "A condition: every key must hold (AND); any/all/not combine conditions.",
        "properties": {
            "all": {"type": "array", "items": {"$ref": "#/$defs/Condition"}, "minItems": 1},
            "any": {"type": "array", "items": {"$ref": "#/$defs/Condition"}, "minItems": 1},
            "not": {"$ref": "#/$defs/Condition"},
        },
    }
    for key, cond in CONDITIONS.items():
        for name, tp in {key: cond.params, **cond.modifiers}.items():
            part = TypeAdapter(tp).json_schema(ref_template="#/$defs/{model}")
            defs.update(part.pop("$defs", {}))
            part.setdefault("description", cond.summary)
            condition["properties"][name] = part
    defs["Condition"] = condition
    defs["Action"] = {
        "anyOf": [
            {"type": "string", "enum": ["delete", "warn", "strike", "kick", "ban", "alert"]},
            _one_key("strike", {"type": "integer", "minimum": 1, "maximum": 100}),
            _one_key("mute", duration),
            _one_key("ban", duration),
            _one_key("reply", {"type": "string"}),
        ]
    }
    # The ladder is written {strikes, action, duration}, not as the model holds it.
    defs["LadderStep"] = {
        "type": "object",
        "additionalProperties": False,
        "required": ["strikes", "action"],
        "properties": {
            "strikes": {"type": "integer", "minimum": 1},
            "action": {"type": "string", "enum": list(_SANCTIONS)},
            "duration": duration,
        },
    }
    defs["Rule"]["properties"]["id"]["pattern"] = "^[a-z0-9-]+$"
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "modbot rules file"
    return _fill(schema)


def _one_key(key: str, value: dict[str, Any]) -> dict[str, Any]:
    return {
        "type": "object",
        "properties": {key: value},
        "required": [key],
        "additionalProperties": False,
    }


def _fill(node: Any) -> Any:
    """Replace placeholders with references, and timedelta defaults with the file's own syntax."""
    if isinstance(node, dict):
        kind = node.get(_PLACEHOLDER)
        if kind == "Condition":
            return {"$ref": "#/$defs/Condition"}
        if kind == "Actions":
            return {"type": "array", "items": {"$ref": "#/$defs/Action"}, "minItems": 1}
        out = {k: _fill(v) for k, v in node.items()}
        if out.get("format") == "duration":  # pydantic's ISO 8601; the file says 10s, 5m, 1h
            del out["format"]
            out["pattern"] = _DURATION_PATTERN
        if isinstance(out.get("default"), str) and out["default"].startswith("P"):
            out["default"] = _iso_to_duration(out["default"])
        return out
    if isinstance(node, list):
        return [_fill(v) for v in node]
    return node


def _iso_to_duration(text: str) -> str:
    # pydantic writes timedelta defaults as ISO 8601 ("P90D"); owners write 90d.
    m = re.fullmatch(r"P(\d+)D", text)
    return f"{m.group(1)}d" if m else text


__all__ = [
    "SUPPORTED_VERSIONS",
    "TEMPLATE_FIELDS",
    "Channels",
    "Community",
    "Escalation",
    "LadderStep",
    "Privacy",
    "Roles",
    "Rule",
    "RuleSet",
    "RuleTests",
    "ToxicitySettings",
    "flatten_errors",
    "json_schema",
    "keys_at",
    "template_problems",
]
