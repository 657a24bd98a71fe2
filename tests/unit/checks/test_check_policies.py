"""Loading policies: every problem reported with file, field and reason; identity and hashing."""

from __future__ import annotations

from pathlib import Path

import pytest

from auditkit.checks import (
    PolicyInvalid,
    PolicyLoadError,
    Severity,
    default_policy_dir,
    load_default_policies,
    load_policies,
    parse_policy,
)
from auditkit.errors import AuditkitError
from tests.unit.checks.builders import policy_text

PACKAGED_IDS = [
    "abcd-identity-validation",
    "consent-disclosure",
    "consent-scopes",
    "handoff-notes",
    "identity-validation",
    "resolution-hygiene",
    "restricted-data",
    "sgd-transfer-confirmation",
    "tau-retail-authentication",
    "tau-retail-confirmation",
    "transaction-confirmation",
]

BROKEN = """\
id: Refund Checks
version: 1.10
description: ""
severity: urgent
applies_to:
  channel: [web_chat]
colour: red
rules:
  - type: validation_before_sensitive_action
    actions: [issue-refund, ""]
    phrases: ['(unclosed', '.*', '(a)\\1']
    validation:
      missing_outcome: maybe
    survives_transfer: "no"
  - type: consent_before_action
    scop: marketing-email
    actions: [send-marketing-email]
  - type: no_such_rule
  - type: consent_disclosure
    wordings: ["!!!"]
    threshold: 2
    requests: {acts: []}
  - type: handoff_documented
    handoffs: [transfer]
    note_fields: []
    within_minutes: -1
  - type: restricted_data
    forbidden_from: [robot]
  - "just a string"
"""

EXPECTED_PROBLEMS = [
    ("id", "must be lower-case letters"),
    ("version", "write the version as a quoted string: YAML reads it as the number 1.1"),
    ("description", "must not be empty"),
    ("severity", "'urgent' is not one of low, medium, high, critical"),
    ("applies_to.channel", "is not a field of 'applies_to' (did you mean 'channels'?)"),
    ("colour", "is not a field of a policy"),
    ("rules[0].actions[1]", "must be 1 to 200 characters"),
    ("rules[0].phrases[0]", "invalid regular expression"),
    ("rules[0].phrases[1]", "matches empty text"),
    ("rules[0].phrases[2]", "back-references are not supported"),
    ("rules[0].validation.actions", "give the action names, phrase patterns (phrases) or both"),
    ("rules[0].validation.missing_outcome", "'maybe' is not one of success, failure"),
    ("rules[0].survives_transfer", "expected true or false, got a string"),
    ("rules[1].scope", "is required"),
    ("rules[1].scop", "is not a field of consent_before_action rules (did you mean 'scope'?)"),
    ("rules[2].type", "'no_such_rule' is not a rule type"),
    ("rules[3].wordings[0]", "has no letters or digits"),
    ("rules[3].threshold", "2 is out of range"),
    (
        "rules[3].requests",
        "give dialogue acts (acts), a reply list (replies), phrase patterns (phrases) or a mix",
    ),
    ("rules[4].handoffs[0]", "'transfer' is not one of assignment, escalation"),
    ("rules[4].note_fields", "must not be empty"),
    ("rules[4].within_minutes", "-1 is out of range"),
    ("rules[5].forbidden_from[0]", "'robot' is not one of customer, agent, bot, supervisor"),
    ("rules[5].forbidden_entities", "give forbidden_entities, no_echo_entities or both"),
    ("rules[6]", "expected a mapping, got a string"),
]


def _problems(error: PolicyLoadError) -> list[tuple[str, str, str]]:
    return [(p.path, p.field, p.reason) for p in error.problems]


def test_every_problem_of_a_file_is_reported_with_file_field_and_reason(tmp_path: Path) -> None:
    path = tmp_path / "broken.yaml"
    path.write_text(BROKEN, encoding="utf-8")
    with pytest.raises(PolicyLoadError) as raised:
        load_policies([path])
    found = _problems(raised.value)
    assert {p for p, _, _ in found} == {str(path)}
    for field, reason in EXPECTED_PROBLEMS:
        assert any(f == field and reason in r for _, f, r in found), (field, reason, found)
    assert len(found) == len(EXPECTED_PROBLEMS), found
    message = str(raised.value)
    assert message.startswith(f"invalid policies ({len(EXPECTED_PROBLEMS)} problems):")
    assert f"{path}: rules[1].scope: is required" in message


def test_problems_of_every_file_are_reported_together(tmp_path: Path) -> None:
    (tmp_path / "a.yaml").write_text("id: a\n", encoding="utf-8")
    (tmp_path / "b.yml").write_bytes(policy_text("type: resolution_hygiene\nbogus: 1"))
    (tmp_path / "notes.txt").write_text("not a policy", encoding="utf-8")
    with pytest.raises(PolicyLoadError) as raised:
        load_policies([tmp_path])
    found = _problems(raised.value)
    assert (str(tmp_path / "a.yaml"), "version", "is required") in found
    assert (str(tmp_path / "a.yaml"), "rules", "is required") in found
    assert any(p == str(tmp_path / "b.yml") and f == "rules[0].bogus" for p, f, _ in found)
    assert not any("notes.txt" in p for p, _, _ in found)


@pytest.mark.parametrize(
    ("content", "field", "reason"),
    [
        (b"id: [unclosed\n", "(file)", "is not valid YAML"),
        (b"\xff\xfe not utf-8", "(file)", "is not UTF-8"),
        (b"- a list\n", "(document)", "expected a mapping, got a list"),
        (b"", "(document)", "expected a mapping, got null"),
        (b"id: a\nid: b\n", "(line 2)", "duplicate key 'id'"),
        (b"on: true\n", "(document)", "quote it"),
        (
            policy_text(
                "type: resolution_hygiene", "type: resolution_hygiene\nid: resolution_hygiene-1"
            ),
            "rules[1].id",
            "used twice",
        ),
        (b"x" * (1024 * 1024 + 1), "(file)", "larger than"),
        (b"a: &x [1, 2]\nb: *x\n", "(file)", "aliases (*name) are not allowed"),
    ],
    ids=[
        "yaml-syntax",
        "not-utf8",
        "not-a-mapping",
        "empty",
        "duplicate-key",
        "boolean-key",
        "duplicate-rule-id",
        "too-large",
        "alias",
    ],
)
def test_malformed_files_are_refused_with_a_reason(content: bytes, field: str, reason: str) -> None:
    with pytest.raises(PolicyLoadError) as raised:
        parse_policy(content, source="p.yaml")
    assert any(p.field == field and reason in p.reason for p in raised.value.problems), _problems(
        raised.value
    )


def test_a_yaml_syntax_error_names_its_line() -> None:
    with pytest.raises(PolicyLoadError) as raised:
        parse_policy(b"id: a\nversion: '1'\nrules: [\n", source="p.yaml")
    assert "line 4" in raised.value.problems[0].reason


def test_the_same_id_in_two_files_is_refused(tmp_path: Path) -> None:
    for name in ("one.yaml", "two.yaml"):
        (tmp_path / name).write_bytes(policy_text("type: resolution_hygiene"))
    with pytest.raises(PolicyLoadError) as raised:
        load_policies([tmp_path])
    (problem,) = raised.value.problems
    assert problem.path == str(tmp_path / "two.yaml")
    assert problem.field == "id"
    assert str(tmp_path / "one.yaml") in problem.reason


def test_missing_paths_and_empty_folders_are_problems(tmp_path: Path) -> None:
    with pytest.raises(PolicyLoadError) as raised:
        load_policies([tmp_path / "nope.yaml", tmp_path])
    assert [(p.field, p.reason) for p in raised.value.problems] == [
        ("(file)", "no such file or folder"),
        ("(folder)", "holds no *.yaml or *.yml policy file"),
    ]


def test_policy_errors_belong_to_the_error_root() -> None:
    problem = PolicyInvalid(path="p.yaml", field="rules[0].scope", reason="is required")
    assert isinstance(problem, AuditkitError)
    assert str(problem) == "p.yaml: rules[0].scope: is required"
    assert isinstance(PolicyLoadError([problem]), AuditkitError)


def test_a_valid_policy_is_read_whole() -> None:
    policy = parse_policy(
        policy_text(
            "type: resolution_hygiene\nid: hygiene",
            extra="applies_to:\n  channels: [web_chat]\n  intents: [refund]\n",
        ),
        source="p.yaml",
    )
    assert (policy.id, policy.version, policy.severity, policy.source) == (
        "test-policy",
        "1",
        Severity.HIGH,
        "p.yaml",
    )
    assert policy.applies_to.channels == {"web_chat"}
    assert policy.applies_to.intents == {"refund"}
    assert [r.rule_id for r in policy.rules] == ["hygiene"]
    assert len(policy.content_hash) == 64


def test_an_integer_version_is_read_as_text() -> None:
    text = policy_text("type: resolution_hygiene").replace(b"version: '1'", b"version: 3")
    assert parse_policy(text, source="p.yaml").version == "3"


def test_the_content_hash_ignores_layout_and_comments_but_not_meaning() -> None:
    base = parse_policy(policy_text("type: resolution_hygiene"), source="a.yaml")
    relaid = b"# a comment\n" + policy_text("type:    resolution_hygiene   # same").replace(
        b"severity: high", b"severity: 'high'"
    )
    assert parse_policy(relaid, source="b.yaml").content_hash == base.content_hash
    changed = policy_text("type: resolution_hygiene\nrequire_intent: false")
    assert parse_policy(changed, source="a.yaml").content_hash != base.content_hash


def test_dates_stay_text_so_a_policy_can_be_hashed() -> None:
    text = policy_text("type: resolution_hygiene\ncodes: [2024-01-01]")
    policy = parse_policy(text, source="p.yaml")
    assert policy.rules[0].codes == {"2024-01-01"}  # type: ignore[attr-defined]


def test_the_packaged_policies_load() -> None:
    policies = load_default_policies()
    assert [p.id for p in policies] == PACKAGED_IDS
    assert all(p.rules and p.description and p.content_hash for p in policies)
    assert default_policy_dir().is_dir()


def test_a_folder_loads_the_same_by_path_or_by_resource() -> None:
    by_resource = load_default_policies()
    by_path = load_policies([str(default_policy_dir())])
    assert [(p.id, p.content_hash) for p in by_path] == [
        (p.id, p.content_hash) for p in by_resource
    ]
