"""The submission contract (CONTRACT.md §3-§5) as data: kinds, columns, keys and rules.

Ingestion, validation and the `validate` command all read these specs, so a rule
lives in one place.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum


class ColumnType(Enum):
    TEXT = "text"            # free text or a reference; NFC, trimmed, no formulas
    UNIT = "unit"            # a unit code that must exist in org_units (valid on `date_column`)
    UNIT_LIST = "unit_list"  # `;`-separated unit codes that must exist in org_units
    DATE = "date"            # YYYY-MM-DD or DD/MM/YYYY, never in the future
    BOOL = "bool"            # true/false, 1/0, yes/no, có/không; empty is false
    COUNT = "count"          # non-negative whole number
    NUMBER = "number"        # decimal
    YEAR = "year"            # a four-digit year, not in the future
    CODE = "code"            # an upper-case code such as PAR_INDEX
    VOCAB = "vocab"          # one value of `vocabulary`
    VOCAB_LIST = "vocab_list"  # `;`-separated values of `vocabulary`, at least one
    MEMBER_ID = "member_id"  # replaced by a keyed HMAC (`member_key`) before anything is stored
    PERSONAL_NAME = "personal_name"  # dropped at ingestion


@dataclass(frozen=True)
class Column:
    name: str
    type: ColumnType
    required: bool = True
    key: bool = False
    vocabulary: str | None = None
    allow_all: bool = False      # vocabulary filters of aggregate reports accept `all`
    date_column: str | None = None  # for UNIT: the row date on which the unit must be valid
    default: str | None = None   # applied when the value is empty
    future_ok: bool = False      # for DATE: a planned end date may lie ahead
    not_self: str | None = None  # for UNIT_LIST: must not name the row's own `not_self` unit

    @property
    def stored_name(self) -> str:
        """Name of the column in raw tables (member ids are stored only as keys)."""
        if self.type is ColumnType.MEMBER_ID:
            return self.name.removesuffix("_id") + "_key"
        return self.name


@dataclass(frozen=True)
class DateOrder:
    """`later` must not be before `earlier` (strictly after when `strict`)."""
    earlier: str
    later: str
    strict: bool = False


@dataclass(frozen=True)
class Kind:
    name: str
    columns: tuple[Column, ...]
    date_orders: tuple[DateOrder, ...] = ()
    member_form_rules: bool = False  # probationary and removal-from-post rules (§4)
    vintage_column: str | None = None  # same key, other vintage: kept beside, not a duplicate
    description: str = ""

    @property
    def key_columns(self) -> list[Column]:
        return [c for c in self.columns if c.key]

    @property
    def stored_columns(self) -> list[Column]:
        return [c for c in self.columns if c.type is not ColumnType.PERSONAL_NAME]

    def column(self, name: str) -> Column:
        return next(c for c in self.columns if c.name == name)


T = ColumnType


def _c(name, type_, required=True, **kw) -> Column:
    return Column(name, type_, required, **kw)


ORG_UNITS = Kind(
    "org_units",
    (
        _c("unit_code", T.TEXT, key=True),
        _c("valid_from", T.DATE, key=True),
        _c("name", T.TEXT),
        _c("level", T.VOCAB, vocabulary="org_level"),
        _c("parent_code", T.UNIT, False, date_column="valid_from"),
        _c("unit_type", T.TEXT, False),
        _c("valid_to", T.DATE, False, future_ok=True),
        _c("successor_codes", T.UNIT_LIST, False, not_self="unit_code"),
    ),
    date_orders=(DateOrder("valid_from", "valid_to", strict=True),),
    description="The organisation tree, with history",
)

MEMBERSHIPS = Kind(
    "memberships",
    (
        _c("unit_code", T.UNIT, key=True, date_column="as_of_date"),
        _c("as_of_date", T.DATE, key=True),
        _c("members", T.COUNT),
        _c("party_organizations", T.COUNT, False),
    ),
    description="Denominators for rates",
)

MEMBER_DISCIPLINES = Kind(
    "member_disciplines",
    (
        _c("deciding_unit_code", T.UNIT, key=True, date_column="decision_date"),
        _c("decision_ref", T.TEXT, key=True),
        _c("member_id", T.MEMBER_ID, key=True),
        _c("authority_type", T.VOCAB, vocabulary="authority_type"),
        _c("discipline_form", T.VOCAB, vocabulary="member_discipline_form"),
        _c("decision_date", T.DATE),
        _c("member_unit_code", T.UNIT, date_column="decision_date"),
        _c("violation_categories", T.VOCAB_LIST, vocabulary="violation_category"),
        _c("channel", T.VOCAB, vocabulary="channel"),
        _c("member_name", T.PERSONAL_NAME, False),
        _c("is_committee_member", T.BOOL, False),
        _c("is_probationary", T.BOOL, False),
        _c("activity_ref", T.TEXT, False),
        _c("status", T.VOCAB, False, vocabulary="status", default="in_force"),
        _c("violation_date", T.DATE, False),
    ),
    date_orders=(DateOrder("violation_date", "decision_date"),),
    member_form_rules=True,
    description="One row per disciplinary decision on one member",
)

ORG_DISCIPLINES = Kind(
    "org_disciplines",
    (
        _c("deciding_unit_code", T.UNIT, key=True, date_column="decision_date"),
        _c("decision_ref", T.TEXT, key=True),
        _c("target_unit_code", T.UNIT, key=True, date_column="decision_date"),
        _c("authority_type", T.VOCAB, vocabulary="authority_type"),
        _c("discipline_form", T.VOCAB, vocabulary="org_discipline_form"),
        _c("decision_date", T.DATE),
        _c("violation_categories", T.VOCAB_LIST, vocabulary="violation_category"),
        _c("channel", T.VOCAB, vocabulary="channel"),
        _c("activity_ref", T.TEXT, False),
        _c("status", T.VOCAB, False, vocabulary="status", default="in_force"),
    ),
    description="One row per disciplinary decision on an organisation",
)

ACTIVITIES = Kind(
    "activities",
    (
        _c("conducting_unit_code", T.UNIT, key=True, date_column="start_date"),
        _c("activity_ref", T.TEXT, key=True),
        _c("authority_type", T.VOCAB, vocabulary="authority_type"),
        _c("activity_type", T.VOCAB, vocabulary="activity_type"),
        _c("subject_kind", T.VOCAB, vocabulary="subject_kind"),
        _c("subject_unit_code", T.UNIT, date_column="start_date"),
        _c("start_date", T.DATE),
        _c("end_date", T.DATE, False),
        _c("subject_member_id", T.MEMBER_ID, False),
        _c("conclusion_ref", T.TEXT, False),
        _c("violation_found", T.BOOL, False),
        _c("members_in_violation", T.COUNT, False),
        _c("orgs_in_violation", T.COUNT, False),
        _c("members_discipline_required", T.COUNT, False),
        _c("orgs_discipline_required", T.COUNT, False),
    ),
    date_orders=(DateOrder("start_date", "end_date"),),
    description="Inspections, supervisions, complaint and denunciation cases",
)

def _figure_filters(key: bool) -> tuple[Column, ...]:
    """What a figure counts: the measure and the filters (`all` or `;`-separated codes)."""
    return (
        _c("measure", T.VOCAB, key=key, vocabulary="measure"),
        _c("authority_type", T.VOCAB_LIST, key=key, vocabulary="authority_type",
           allow_all=True),
        _c("subject_kind", T.VOCAB, key=key, vocabulary="subject_kind"),
        _c("discipline_form", T.VOCAB_LIST, key=key, vocabulary="discipline_form",
           allow_all=True),
        _c("violation_category", T.VOCAB_LIST, key=key, vocabulary="violation_category",
           allow_all=True),
        _c("channel", T.VOCAB_LIST, key=key, vocabulary="channel", allow_all=True),
    )


# A figure's value, how exact it is, the units it covers and its vintage.
_FIGURE_VALUE = (
    _c("value", T.COUNT),
    _c("value_qualifier", T.VOCAB, False, vocabulary="value_qualifier", default="exact"),
    _c("scope", T.VOCAB, False, vocabulary="scope", default="unit_and_below"),
    _c("as_of_date", T.DATE, False),
)

AGGREGATE_REPORTS = Kind(
    "aggregate_reports",
    (
        _c("reporting_unit_code", T.UNIT, key=True, date_column="period_end"),
        _c("period_start", T.DATE, key=True),
        _c("period_end", T.DATE, key=True),
        *_figure_filters(key=True),
        _c("source_ref", T.TEXT, key=True),
        *_FIGURE_VALUE,
        _c("source_title", T.TEXT, False),
    ),
    date_orders=(DateOrder("period_start", "period_end"),),
    vintage_column="as_of_date",
    description="Periodic statistical reports and published figures",
)

PUBLISHED_FIGURES = Kind(
    "published_figures",
    (
        _c("figure_id", T.TEXT, key=True),
        _c("source_ref", T.TEXT),
        _c("source_title", T.TEXT, False),
        _c("speaker", T.TEXT, False),
        # a figure may name a unit this warehouse does not hold: the reconciliation says so
        _c("reporting_unit_code", T.TEXT),
        _c("period_start", T.DATE),
        _c("period_end", T.DATE),
        *_figure_filters(key=False),
        _c("activity_ref", T.TEXT, False),
        *_FIGURE_VALUE,
        _c("note", T.TEXT, False),
    ),
    date_orders=(DateOrder("period_start", "period_end"),),
    description="Figures published about the data (press, speeches), to reconcile with it",
)

GOVERNANCE_INDICATORS = Kind(
    "governance_indicators",
    (
        _c("unit_code", T.UNIT, key=True),
        _c("year", T.YEAR, key=True),
        _c("indicator", T.CODE, key=True),
        _c("rank", T.COUNT, False),
        _c("score", T.NUMBER, False),
        _c("source_ref", T.TEXT, False),
    ),
    description="Provincial governance indices",
)

# Load order matters: org_units first, so that every other kind is checked against them.
KINDS: dict[str, Kind] = {
    k.name: k
    for k in (ORG_UNITS, MEMBERSHIPS, MEMBER_DISCIPLINES, ORG_DISCIPLINES, ACTIVITIES,
              AGGREGATE_REPORTS, PUBLISHED_FIGURES, GOVERNANCE_INDICATORS)
}

FORMATS = {".csv": "csv", ".xlsx": "xlsx", ".json": "json", ".ndjson": "ndjson"}


def is_in_progress(filename: str) -> bool:
    """An upload still being written (§1) is not read."""
    return filename.startswith((".", "~$")) or filename.endswith((".tmp", ".part"))
