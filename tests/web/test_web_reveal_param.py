"""A ``?reveal=`` no record seq can be is refused with a 400 and a reason, never a 500."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from tests.web.conftest import Web, text

KEY = "nb-2024-10431"


@pytest.mark.parametrize(
    "value", ["9" * 400, str(2**63), "1" + "0" * 19], ids=["400-digits", "2^63", "20-digits"]
)
def test_a_huge_reveal_seq_is_a_400_with_a_reason(
    web: Callable[[str | None], Web], value: str
) -> None:
    response = web("cora").get(f"/conversations/{KEY}?reveal={value}")
    assert response.status_code == 400
    page = text(response)
    assert "reveal:" in page and "is not a record seq" in page
    assert "María González" not in page


@pytest.mark.parametrize("value", [str(2**63 - 1), "²", "-1", "12a"], ids=str)
def test_other_reveal_values_show_the_redacted_page(
    web: Callable[[str | None], Web], value: str
) -> None:
    response = web("cora").get(f"/conversations/{KEY}", query_string={"reveal": value})
    assert response.status_code == 200
    assert "María González" not in text(response)
