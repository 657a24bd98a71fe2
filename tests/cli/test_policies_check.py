"""``auditkit policies check``: every policy validated, overlaps and dead rubric links warned."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from auditkit.cli import cli
from tests.conftest import Cli

AIRLINE = """\
id: airline-authentication
version: "1"
description: τ-bench airline style, written without a scope.
severity: critical
rules:
  - type: validation_before_sensitive_action
    actions: [get_user_details, get_reservation_details]
    validation:
      actions: [authenticate]
"""

SCOPED = AIRLINE.replace(
    "rules:",
    "applies_to:\n  tools: [get_user_details, get_reservation_details, authenticate]\nrules:",
)


def _run(env: dict[str, str], *args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, ["policies", "check", *args], env=env)
    return result.exit_code, result.stdout, result.stderr


def test_the_shipped_policies_check_clean(run: Cli, env: dict[str, str]) -> None:
    code, out, err = _run(env)
    assert code == 0, out + err
    assert "ok: tau-retail-authentication v2 sha256:" in out
    assert "both judge" not in err
    assert "policies, " in out


def test_an_unscoped_pack_sharing_a_tool_with_the_retail_pack_is_warned(
    run: Cli, env: dict[str, str], tmp_path: Path
) -> None:
    (tmp_path / "airline.yaml").write_text(AIRLINE, encoding="utf-8")
    code, out, err = _run(env, "--policies", str(tmp_path))
    assert code == 0
    assert (
        "warning: policies airline-authentication and tau-retail-authentication both judge"
        " get_user_details (validation_before_sensitive_action)"
    ) in err
    assert _run(env, "--policies", str(tmp_path), "--strict")[0] == 1


def test_a_tool_namespace_on_both_sides_still_warns_for_the_shared_tool(
    run: Cli, env: dict[str, str], tmp_path: Path
) -> None:
    # get_user_details is in both namespaces: a conversation calling only it fits both.
    (tmp_path / "airline.yaml").write_text(SCOPED, encoding="utf-8")
    _, _, err = _run(env, "--policies", str(tmp_path))
    assert "both judge get_user_details" in err


def test_disjoint_segments_keep_two_packs_apart(
    run: Cli, env: dict[str, str], tmp_path: Path
) -> None:
    first = AIRLINE.replace("rules:", "applies_to:\n  segments: [airline]\nrules:")
    second = first.replace("airline-authentication", "retail-copy").replace("[airline]", "[retail]")
    (tmp_path / "a.yaml").write_text(first, encoding="utf-8")
    (tmp_path / "b.yaml").write_text(second, encoding="utf-8")
    _, _, err = _run(
        env, "--policies", str(tmp_path / "a.yaml"), "--policies", str(tmp_path / "b.yaml")
    )
    assert "airline-authentication and retail-copy" not in err


def test_a_rubric_naming_an_unknown_policy_is_warned(
    run: Cli, env: dict[str, str], tmp_path: Path
) -> None:
    shipped = Path(__file__).resolve().parents[2] / "rubrics" / "messaging-quality.yaml"
    text = shipped.read_text(encoding="utf-8").replace(
        "policy: identity-validation", "policy: identity-validaton"
    )
    rubric = tmp_path / "typo.yaml"
    rubric.write_text(text, encoding="utf-8")
    _, _, err = _run(env, "--rubric", str(rubric))
    assert "names policy 'identity-validaton', which no loaded policy has" in err


def test_a_broken_policy_fails_the_check_naming_file_and_field(
    run: Cli, env: dict[str, str], tmp_path: Path
) -> None:
    (tmp_path / "bad.yaml").write_text(
        AIRLINE.replace("critical", "urgent").replace("rules:", "applies_to:\n  tool: [x]\nrules:"),
        encoding="utf-8",
    )
    result = CliRunner().invoke(cli, ["policies", "check", "--policies", str(tmp_path)], env=env)
    assert result.exit_code == 1
    assert "severity: 'urgent' is not one of" in result.output
    assert (
        "applies_to.tool: is not a field of 'applies_to' (did you mean 'tools'?)" in result.output
    )
