"""docs/policies.md documents every rule type and packaged policy, with examples that load."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from auditkit.checks import (
    RULE_TYPES,
    PolicyLoadError,
    load_default_policies,
    load_policies,
    parse_policy,
)

DOC = Path(__file__).resolve().parents[3] / "docs" / "policies.md"


def _sections() -> dict[str, str]:
    text = DOC.read_text(encoding="utf-8")
    parts = re.split(r"^### `([a-z_]+)`$", text, flags=re.MULTILINE)
    return dict(zip(parts[1::2], parts[2::2], strict=True))


def _yaml_blocks(text: str) -> list[str]:
    return re.findall(r"^```yaml\n(.*?)^```$", text, flags=re.MULTILINE | re.DOTALL)


@pytest.mark.parametrize("type_name", sorted(RULE_TYPES))
def test_every_rule_type_is_documented_with_an_example(type_name: str) -> None:
    sections = _sections()
    assert type_name in sections, f"docs/policies.md has no '### `{type_name}`' section"
    examples = _yaml_blocks(sections[type_name])
    assert examples, f"the {type_name} section has no YAML example"
    policy = parse_policy(examples[0].encode(), source=f"docs/policies.md#{type_name}")
    assert {rule.type_name for rule in policy.rules} == {type_name}


@pytest.mark.parametrize("type_name", sorted(RULE_TYPES))
def test_every_field_of_a_rule_type_is_documented(type_name: str) -> None:
    section = _sections()[type_name]
    missing = [f for f in RULE_TYPES[type_name].fields if f"`{f}" not in section]
    assert not missing, f"the {type_name} section does not document {missing}"


def test_every_yaml_example_in_the_document_loads() -> None:
    blocks = _yaml_blocks(DOC.read_text(encoding="utf-8"))
    assert len(blocks) > len(RULE_TYPES)
    for number, block in enumerate(blocks):
        parse_policy(block.encode(), source=f"docs/policies.md block {number}")


def test_every_documented_rule_type_exists() -> None:
    assert set(_sections()) <= set(RULE_TYPES)


def test_every_packaged_policy_is_listed() -> None:
    text = DOC.read_text(encoding="utf-8")
    missing = [p.id for p in load_default_policies() if f"| `{p.id}` |" not in text]
    assert not missing, f"docs/policies.md does not list {missing}"


def test_the_documented_error_message_is_what_loading_prints(tmp_path: Path) -> None:
    folder = tmp_path / "policies"
    folder.mkdir()
    (folder / "refunds.yaml").write_text(
        "id: refunds\nversion: '1'\ndescription: Refunds.\nseverity: urgent\nrules:\n"
        "  - type: validation_before_sensitive_action\n    actions: [issue-refund]\n"
        "    validation: {success_outcomes: [success]}\n"
        "  - type: consent_before_action\n    scop: marketing-email\n"
        "    actions: [send-marketing-email]\n",
        encoding="utf-8",
    )
    with pytest.raises(PolicyLoadError) as raised:
        load_policies([folder])
    printed = str(raised.value).replace(str(tmp_path) + "/", "")
    assert printed in DOC.read_text(encoding="utf-8")
