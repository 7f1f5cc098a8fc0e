"""Great Expectations suites as code: one per guarded relation, each expectation with the
reason it exists. Add an expectation here and it runs in the next pipeline run as part of
that relation's blocking asset check.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any


@dataclass(frozen=True)
class Expectation:
    type: str            # a great_expectations.expectations class name
    kwargs: dict[str, Any]
    why: str


@dataclass(frozen=True)
class Suite:
    name: str
    relation: str        # schema.table in the working warehouse
    key_columns: tuple[str, ...]  # shown as failing samples (never personal data)
    expectations: tuple[Expectation, ...]


MEMBER_FORMS = ["reprimand", "warning", "removal_from_post", "expulsion"]
CHANNELS = ["inspection", "supervision", "complaint_denunciation", "other"]
AUTHORITIES = ["party_committee", "inspection_committee"]

# A published warehouse where more than this share of decisions is revoked is almost
# certainly a bad revision file (a whole year resent as revoked), not a policy change.
MAX_REVOKED_SHARE = 0.20


def member_discipline_suite() -> Suite:
    return Suite(
        name="fct_member_discipline",
        relation="marts.fct_member_discipline",
        key_columns=("deciding_unit_code", "decision_ref"),
        expectations=(
            Expectation("ExpectTableRowCountToBeBetween", {"min_value": 1},
                        "an empty fact table means ingestion lost every decision"),
            *(Expectation("ExpectColumnValuesToNotBeNull", {"column": c},
                          "business keys and counting dimensions are never empty")
              for c in ("deciding_unit_code", "decision_ref", "member_key", "authority_type",
                        "discipline_form", "decision_date", "channel")),
            Expectation("ExpectColumnValuesToMatchRegex",
                        {"column": "member_key", "regex": r"^[0-9a-f]{64}$"},
                        "member ids must arrive only as HMAC keys, never in clear"),
            Expectation("ExpectColumnValuesToBeInSet",
                        {"column": "discipline_form", "value_set": MEMBER_FORMS},
                        "members get only the four member forms"),
            Expectation("ExpectColumnValuesToBeInSet",
                        {"column": "channel", "value_set": CHANNELS}, "channel vocabulary"),
            Expectation("ExpectColumnValuesToBeInSet",
                        {"column": "authority_type", "value_set": AUTHORITIES},
                        "authority vocabulary"),
            Expectation("ExpectColumnValuesToBeBetween",
                        {"column": "decision_date", "min_value": datetime(1930, 2, 3),
                         "max_value": datetime.now()},
                        "no decision predates the party or lies in the future"),
            Expectation("ExpectColumnValuesToBeInSet",
                        {"column": "status", "value_set": ["in_force", "amended"],
                         "mostly": 1 - MAX_REVOKED_SHARE},
                        f"more than {MAX_REVOKED_SHARE:.0%} revoked decisions signals a bad "
                        "revision file"),
        ),
    )


def reconciliation_suite() -> Suite:
    return Suite(
        name="rpt_published_reconciliation",
        relation="marts.rpt_published_reconciliation",
        key_columns=("source_ref", "reporting_unit_code", "measure"),
        expectations=(
            Expectation("ExpectColumnValuesToBeInSet",
                        {"column": "status",
                         "value_set": ["match", "consistent", "mismatch", "not_computable"]},
                        "every figure gets one of the four statuses"),
            Expectation("ExpectColumnValuesToNotBeNull", {"column": "published_value"},
                        "a figure without a value cannot be reconciled"),
            Expectation("ExpectColumnValuesToBeBetween",
                        {"column": "published_value", "min_value": 0},
                        "figures are counts"),
        ),
    )


SUITES: dict[str, Suite] = {s.name: s for s in (member_discipline_suite(),
                                                 reconciliation_suite())}
