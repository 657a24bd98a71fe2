"""Policies: YAML files of typed rules, validated whole, identified by id, version and content hash."""

from __future__ import annotations

import functools
import hashlib
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from importlib.resources import files
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import Any

import yaml

from auditkit.checks.results import Severity
from auditkit.checks.rules import RULE_TYPES, Rule
from auditkit.checks.scope import SCOPE_FIELDS, AppliesTo
from auditkit.checks.spec import Problems, Spec
from auditkit.errors import AuditkitError
from auditkit.ledger.records import canonical_json

POLICY_SUFFIXES = (".yaml", ".yml")
MAX_POLICY_BYTES = 1024 * 1024
_POLICY_ID = re.compile(r"^[a-z0-9][a-z0-9._-]{0,99}$")
_TOP_LEVEL = ("id", "version", "description", "severity", "applies_to", "rules")


class PolicyInvalid(AuditkitError):
    """One problem in a policy file: which file, which field (a path such as ``rules[2].scope``), why."""

    def __init__(self, *, path: str, field: str, reason: str) -> None:
        self.path = path
        self.field = field
        self.reason = reason
        super().__init__(f"{path}: {field}: {reason}")


class PolicyLoadError(AuditkitError):
    """Policies could not be loaded; ``problems`` lists every problem in every file."""

    def __init__(self, problems: Sequence[PolicyInvalid]) -> None:
        self.problems = tuple(problems)
        count = len(self.problems)
        noun = "problem" if count == 1 else "problems"
        lines = "\n  - ".join(str(problem) for problem in self.problems)
        super().__init__(f"invalid policies ({count} {noun}):\n  - {lines}")


@dataclass(frozen=True)
class Policy:
    """A loaded, validated policy. ``content_hash`` is SHA-256 of its canonical content.

    The canonical content is the RFC 8785 JSON of the parsed YAML document, so
    comments and formatting do not change it but any change of meaning (or of the
    description) does; results record it beside ``id`` and ``version``.
    """

    id: str
    version: str
    description: str
    severity: Severity
    applies_to: AppliesTo
    rules: tuple[Rule, ...]
    content_hash: str
    source: str


class _PolicyYamlLoader(yaml.SafeLoader):
    """PyYAML's safe loader that keeps dates as strings, notes duplicate keys, refuses aliases."""

    duplicates: list[tuple[int, str]]

    def compose_node(self, parent: Any, index: Any) -> Any:
        """Refuse ``*alias`` references: nested aliases expand exponentially when hashed."""
        if self.check_event(yaml.AliasEvent):
            event = self.peek_event()  # type: ignore[no-untyped-call]  # unannotated in types-PyYAML
            raise yaml.composer.ComposerError(
                None, None, "aliases (*name) are not allowed in policy files", event.start_mark
            )
        return super().compose_node(parent, index)


# Dates stay strings: a policy's content must be JSON (for its canonical hash).
_PolicyYamlLoader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def _construct_mapping(loader: yaml.SafeLoader, node: yaml.Node) -> dict[Any, Any]:
    """Build a mapping as SafeLoader does, noting each repeated key (YAML keeps the last)."""
    if not isinstance(node, yaml.MappingNode):
        raise yaml.constructor.ConstructorError(
            # The stubs declare ``id`` on the concrete node classes only, not on Node.
            None,
            None,
            f"expected a mapping, got {getattr(node, 'id', '?')}",
            node.start_mark,
        )
    seen: set[str] = set()
    for key_node, _ in node.value:
        key = loader.construct_object(key_node, deep=True)
        if isinstance(key, str):
            if key in seen and isinstance(loader, _PolicyYamlLoader):
                loader.duplicates.append((key_node.start_mark.line + 1, key))
            seen.add(key)
    return dict(loader.construct_mapping(node, deep=True))


_PolicyYamlLoader.add_constructor(
    yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping
)


@functools.lru_cache(maxsize=256)
def parse_policy(data: bytes, *, source: str) -> Policy:
    """Validate one policy file's bytes; raise :class:`PolicyLoadError` listing every problem.

    Memoized by the bytes and the source name (a Policy is frozen): pages and commands load
    the policy folder on every call, and parsing YAML was most of a page's time; a changed
    file has other bytes, so it is parsed again.
    """
    problems = Problems()
    policy = _parse(data, source, problems)
    if problems or policy is None:
        raise PolicyLoadError(
            [PolicyInvalid(path=source, field=f, reason=r) for f, r in problems.items]
        )
    return policy


def load_policies(sources: Iterable[str | Path | Traversable]) -> list[Policy]:
    """Load every policy from files and folders (each ``*.yaml``/``*.yml`` in a folder, by name).

    Every file is read and validated before anything is returned; all problems from
    all files (and policy ids used twice) are raised together as one
    :class:`PolicyLoadError`. Policies come back sorted by id.
    """
    found: list[PolicyInvalid] = []
    policies: dict[str, Policy] = {}
    for source in sources:
        entry: Traversable = Path(source) if isinstance(source, str) else source
        for file in _policy_files(entry, found):
            name = str(file)
            try:
                data = file.read_bytes()
            except OSError as error:
                found.append(
                    PolicyInvalid(path=name, field="(file)", reason=f"cannot read: {error}")
                )
                continue
            try:
                policy = parse_policy(data, source=name)
            except PolicyLoadError as error:
                found.extend(error.problems)
                continue
            if policy.id in policies:
                found.append(
                    PolicyInvalid(
                        path=name,
                        field="id",
                        reason=f"policy id {policy.id!r} is also defined in {policies[policy.id].source}",
                    )
                )
                continue
            policies[policy.id] = policy
    if found:
        raise PolicyLoadError(found)
    return [policies[key] for key in sorted(policies)]


def default_policy_dir() -> Traversable:
    """The folder of policies shipped with auditkit (package data ``auditkit/checks/policies``)."""
    return files("auditkit.checks") / "policies"


def load_default_policies() -> list[Policy]:
    """Every policy shipped with auditkit."""
    return load_policies([default_policy_dir()])


def _policy_files(entry: Traversable, found: list[PolicyInvalid]) -> list[Traversable]:
    if entry.is_dir():
        chosen = sorted(
            (
                child
                for child in entry.iterdir()
                if child.is_file() and child.name.endswith(POLICY_SUFFIXES)
            ),
            key=lambda child: child.name,
        )
        if not chosen:
            found.append(
                PolicyInvalid(
                    path=str(entry), field="(folder)", reason="holds no *.yaml or *.yml policy file"
                )
            )
        return chosen
    if entry.is_file():
        return [entry]
    found.append(PolicyInvalid(path=str(entry), field="(file)", reason="no such file or folder"))
    return []


def _parse(data: bytes, source: str, problems: Problems) -> Policy | None:
    if len(data) > MAX_POLICY_BYTES:
        problems.add("(file)", f"is larger than {MAX_POLICY_BYTES} bytes")
        return None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as error:
        problems.add("(file)", f"is not UTF-8: {error}")
        return None
    loader = _PolicyYamlLoader(text)
    loader.duplicates = []
    try:
        document = loader.get_single_data()
    except yaml.YAMLError as error:
        problems.add("(file)", f"is not valid YAML: {_yaml_error(error)}")
        return None
    finally:
        loader.dispose()
    for line, key in loader.duplicates:
        problems.add(f"(line {line})", f"duplicate key {key!r}")
    spec = Spec(document, "", problems, what="a policy")
    policy_id = spec.label("id", required=True)
    if policy_id is not None and not _POLICY_ID.match(policy_id):
        spec.problem(
            "id", f"{policy_id!r} must be lower-case letters, digits, '.', '_' or '-' (up to 100)"
        )
    version = _version(spec)
    description = spec.text("description", required=True)
    severity = spec.choice("severity", Severity)
    applies_to = _applies_to(spec)
    rules = _rules(spec)
    spec.finish(_TOP_LEVEL)
    if problems or policy_id is None or version is None or description is None or severity is None:
        return None
    return Policy(
        id=policy_id,
        version=version,
        description=" ".join(description.split()),
        severity=severity,
        applies_to=applies_to,
        rules=rules,
        content_hash=hashlib.sha256(canonical_json(document)).hexdigest(),
        source=source,
    )


def _version(spec: Spec) -> str | None:
    if not spec.has("version"):
        spec.problem("version", "is required")
        return None
    value = spec.raw("version")
    if isinstance(value, float):
        spec.problem(
            "version",
            f"write the version as a quoted string: YAML reads it as the number {value}",
        )
        return None
    return spec.label("version")


def _applies_to(spec: Spec) -> AppliesTo:
    child = spec.child("applies_to", what="'applies_to'")
    if child is None:
        return AppliesTo()
    scope = AppliesTo(
        channels=frozenset(child.labels("channels")),
        intents=frozenset(child.labels("intents")),
        segments=frozenset(child.labels("segments")),
        tags=frozenset(child.labels("tags")),
        sources=child.labels("sources"),
        tools=frozenset(child.labels("tools")),
    )
    child.finish(SCOPE_FIELDS)
    return scope


def _rules(spec: Spec) -> tuple[Rule, ...]:
    rules: list[Rule] = []
    ids: set[str] = set()
    for path, value in spec.items("rules", required=True):
        rule_spec = Spec(value, path, spec.problems, what="a rule")
        if not rule_spec.is_mapping:
            continue
        type_name = rule_spec.label("type", required=True)
        given_id = rule_spec.label("id")
        rule_id = given_id or f"{type_name or 'rule'}-{len(rules) + 1}"
        if rule_id in ids:
            rule_spec.problem("id", f"rule id {rule_id!r} is used twice in this policy")
        ids.add(rule_id)
        if type_name is None:
            rule_spec.finish()
            continue
        kind = RULE_TYPES.get(type_name)
        if kind is None:
            rule_spec.problem(
                "type", f"{type_name!r} is not a rule type (one of {', '.join(sorted(RULE_TYPES))})"
            )
            continue
        rule_spec.what = f"{type_name} rules"
        rule = kind.from_spec(rule_id, rule_spec)
        rule_spec.finish(kind.fields)
        rules.append(rule)
    return tuple(rules)


def _yaml_error(error: yaml.YAMLError) -> str:
    mark = getattr(error, "problem_mark", None)
    problem = getattr(error, "problem", None) or str(error)
    if mark is not None:
        return f"{problem} at line {mark.line + 1}, column {mark.column + 1}"
    return problem


__all__ = [
    "AppliesTo",
    "Policy",
    "PolicyInvalid",
    "PolicyLoadError",
    "default_policy_dir",
    "load_default_policies",
    "load_policies",
    "parse_policy",
]
