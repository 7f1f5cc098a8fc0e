"""Great Expectations suites as code, one per guarded relation, each expectation with the
reason it exists (shown when it fails).

A suite validates either a relation row by row (small and medium tables) or a profile query
over a large one: row-level rules on the large facts run inside DuckDB as dbt tests, and GE
then sees bounded aggregates, so memory stays bounded at national scale.

To add an expectation: append an `Expectation(<GE class name>, {kwargs}, why)` to the suite
of the relation; it runs in the next pipeline run as part of that relation's blocking check.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from kyluat.config import SEEDS_DIR
from kyluat.periods import UNPUBLISHED
from kyluat.reference import codes, member_forms


@dataclass(frozen=True)
class Expectation:
    type: str            # a great_expectations.expectations class name
    kwargs: dict[str, Any]
    why: str


@dataclass(frozen=True)
class Suite:
    name: str
    asset: tuple[str, str]         # (schema, table): the asset the check belongs to
    expectations: tuple[Expectation, ...]
    key_columns: tuple[str, ...] = ()   # shown for failing rows (never personal data)
    query: str | None = None       # defaults to every row of the asset's relation
    blocking: bool = True

    @property
    def relation(self) -> str:
        return ".".join(self.asset)

    @property
    def sql(self) -> str:
        return self.query or f"select * from {new_rows(self.relation)}"


BUILDERS: list[Callable[[Vocabularies], Suite]] = []
"""Every suite's builder, in the order they are declared (by `@suite`)."""


def suite(build: Callable[[Vocabularies], Suite]) -> Callable[[Vocabularies], Suite]:
    """Declares a suite: its builder takes the vocabularies, read at call time."""
    BUILDERS.append(build)
    return build


def new_rows(relation: str) -> str:
    """What a suite reads of `relation`: a raw table's rows not yet published (each raw row is
    checked before its first publication, and a failure keeps it unpublished, so it is checked
    again on the next run), every row of any other relation."""
    if not relation.startswith("raw."):
        return relation
    return f"(select * from {relation} where {UNPUBLISHED}) as {relation.split('.')[1]}"


@dataclass(frozen=True)
class Vocabularies:
    """The codes the suites accept, from the seeds (dbt_project/seeds/vocab_*.csv), their one
    home."""
    member_forms: list[str]
    org_forms: list[str]
    probationary_forms: list[str]
    channels: list[str]
    authorities: list[str]
    statuses: list[str]
    levels: list[str]
    measures: list[str]
    subject_kinds: list[str]
    forms_for_probationary_text: str  # in English, as every expectation says why

    @classmethod
    def of(cls, seeds_dir: Path = SEEDS_DIR) -> Vocabularies:
        return cls(
            member_forms=codes("discipline_form", "applies_to_member", seeds_dir),
            org_forms=codes("discipline_form", "applies_to_org", seeds_dir),
            probationary_forms=list(member_forms(seeds_dir).for_probationary),
            channels=codes("channel", seeds_dir=seeds_dir),
            authorities=codes("authority_type", seeds_dir=seeds_dir),
            statuses=codes("status", seeds_dir=seeds_dir),
            levels=codes("org_level", seeds_dir=seeds_dir),
            measures=codes("measure", seeds_dir=seeds_dir),
            subject_kinds=codes("subject_kind", seeds_dir=seeds_dir),
            forms_for_probationary_text=" or ".join(
                member_forms(seeds_dir).label_en[f].lower()
                for f in member_forms(seeds_dir).for_probationary),
        )


PARTY_FOUNDED = datetime(1930, 2, 3)

# Tolerances, each with the reason it has this value.
# More revoked decisions than this share is almost certainly a bad revision file (a whole
# year resent as revoked), not a policy change.
MAX_REVOKED_SHARE = 0.20
# Expulsion is the heaviest form; nationally it is a few percent of member decisions. Above
# this share in a year the form column is probably mis-mapped.
MAX_EXPULSION_SHARE = 0.60
# Member decisions of a year against the year before: outside this band a whole submission
# is probably missing or loaded twice.
YEAR_OVER_YEAR_BAND = (0.2, 5.0)


def _now() -> datetime:
    return datetime.now()


def _not_null(*columns: str, why: str) -> tuple[Expectation, ...]:
    return tuple(Expectation("ExpectColumnValuesToNotBeNull", {"column": c}, why)
                 for c in columns)


def _in_set(column: str, values: list, why: str) -> Expectation:
    return Expectation("ExpectColumnValuesToBeInSet", {"column": column, "value_set": values}, why)


def _between(column: str, why: str, **bounds) -> Expectation:
    return Expectation("ExpectColumnValuesToBeBetween", {"column": column, **bounds}, why)


def _at_least_zero(*columns: str) -> tuple[Expectation, ...]:
    return tuple(_between(c, "counts are never negative", min_value=0) for c in columns)


def _member_probationary_rule(v: Vocabularies) -> Expectation:
    pairs = [(False, form) for form in v.member_forms] + [
        (True, form) for form in v.member_forms if form in v.probationary_forms]
    return Expectation("ExpectColumnPairValuesToBeInSet",
                       {"column_A": "is_probationary", "column_B": "discipline_form",
                        "value_pairs_set": pairs},
                       f"a probationary member can only get {v.forms_for_probationary_text}")


# Member decisions are the largest fact (millions nationally). GE sees them as a profile:
# one row per year and combination of the columns with a vocabulary, with the rows in it
# that break a rule counted in SQL.
DECISION_KEYS = ("deciding_unit_code", "decision_ref", "member_key", "decision_date")
DECISION_DIMENSIONS = ("decision_year", "authority_type", "discipline_form", "channel", "status",
                       "is_probationary")
HMAC_KEY = "[0-9a-f]{64}"


def _member_decision_profile(relation: str, missing_keys: bool = True) -> str:
    missing = "".join(f", count(*) filter (where {key} is null) as missing_{key}"
                      for key in DECISION_KEYS if missing_keys)
    return f"""select year(decision_date) as decision_year, authority_type, discipline_form,
                      channel, status, coalesce(is_probationary, false) as is_probationary,
                      count(*) as decisions{missing},
                      count(*) filter (where not regexp_full_match(member_key, '{HMAC_KEY}'))
                          as member_keys_not_hmac,
                      min(decision_date) as first_decision_date,
                      max(decision_date) as last_decision_date
               from {relation} group by all"""


def _member_decision_profile_rules(v: Vocabularies) -> tuple[Expectation, ...]:
    """What every member decision keeps that no dbt test checks, on its profile."""
    return (
        _between("member_keys_not_hmac",
                 "member ids must be stored only as HMAC keys, never in clear", max_value=0),
        _member_probationary_rule(v),
        _between("first_decision_date", "no decision predates the party",
                 min_value=PARTY_FOUNDED),
        _between("last_decision_date", "no decision lies in the future", max_value=_now()),
    )


def _member_decision_rules(v: Vocabularies) -> tuple[Expectation, ...]:
    """What every member decision keeps, checked on the profile of raw rows (no dbt test
    reads them)."""
    return (
        *(_between(f"missing_{key}", "business keys and the decision date are never empty",
                   max_value=0) for key in DECISION_KEYS),
        _in_set("discipline_form", v.member_forms, "members get only member forms"),
        _in_set("authority_type", v.authorities, "authority vocabulary"),
        _in_set("channel", v.channels, "channel vocabulary"),
        _in_set("status", v.statuses, "status vocabulary"),
        *_member_decision_profile_rules(v),
    )


@suite
def raw_member_disciplines(v: Vocabularies) -> Suite:
    return Suite(
        name="raw_member_disciplines",
        asset=("raw", "member_disciplines"),
        key_columns=DECISION_DIMENSIONS,
        query=_member_decision_profile(new_rows("raw.member_disciplines")),
        expectations=_member_decision_rules(v),
    )


@suite
def raw_org_units(v: Vocabularies) -> Suite:
    """The national tree has about 200,000 unit versions: GE sees a profile per level."""
    return Suite(
        name="raw_org_units",
        asset=("raw", "org_units"),
        key_columns=("level",),
        query=f"""select level, count(*) as versions,
                        count(*) filter (where unit_code is null or valid_from is null
                                            or level is null) as incomplete_versions,
                        count(*) filter (where valid_to <= valid_from) as empty_periods
                 from {new_rows("raw.org_units")} group by all""",
        expectations=(
            _between("incomplete_versions", "a unit version needs a code, a start and a level",
                     max_value=0),
            _in_set("level", v.levels, "organisation levels"),
            _between("empty_periods", "a unit version ends after it starts", max_value=0),
        ),
    )


@suite
def raw_activities_profile(v: Vocabularies) -> Suite:
    """Activities are the largest table: GE sees a per-year profile, dbt tests the rows."""
    return Suite(
        name="raw_activities_profile",
        asset=("raw", "activities"),
        key_columns=("start_year", "subject_kind"),
        query=f"""select year(start_date) as start_year, subject_kind, authority_type,
                        count(*) as activities,
                        count(*) filter (where end_date < start_date) as ending_before_start,
                        least(min(members_in_violation), min(orgs_in_violation),
                              min(members_discipline_required),
                              min(orgs_discipline_required)) as smallest_count
                 from {new_rows("raw.activities")} group by all""",
        expectations=(
            _in_set("subject_kind", v.subject_kinds, "subject kinds"),
            _in_set("authority_type", v.authorities, "authority vocabulary"),
            _between("start_year", "no activity starts in the future",
                     max_value=_now().year),
            _between("ending_before_start", "an activity ends after it starts", max_value=0),
            _between("smallest_count", "counts are never negative", min_value=0),
        ),
    )


@suite
def raw_aggregate_reports(v: Vocabularies) -> Suite:
    return Suite(
        name="raw_aggregate_reports",
        asset=("raw", "aggregate_reports"),
        key_columns=("reporting_unit_code", "source_ref"),
        expectations=(
            _in_set("measure", v.measures, "measure vocabulary"),
            *_at_least_zero("value"),
            Expectation("ExpectColumnPairValuesAToBeGreaterThanB",
                        {"column_A": "period_end", "column_B": "period_start",
                         "or_equal": True},
                        "a period ends on or after its start"),
        ),
    )


@suite
def raw_memberships(v: Vocabularies) -> Suite:
    """A count per unit and year-end (about 600,000 in ten national years): GE sees the
    smallest counts of each year."""
    return Suite(
        name="raw_memberships",
        asset=("raw", "memberships"),
        key_columns=("as_of_year",),
        query=f"""select year(as_of_date) as as_of_year, count(*) as counts,
                        min(members) as members, min(party_organizations) as party_organizations
                 from {new_rows("raw.memberships")} group by all""",
        expectations=(*_at_least_zero("members", "party_organizations"),),
    )


@suite
def raw_governance_indicators(v: Vocabularies) -> Suite:
    return Suite(
        name="raw_governance_indicators",
        asset=("raw", "governance_indicators"),
        key_columns=("unit_code", "year", "indicator"),
        expectations=(
            Expectation("ExpectColumnValuesToMatchRegex",
                        {"column": "indicator", "regex": r"^[A-Z][A-Z0-9_]*$"},
                        "indicators are upper-case codes"),
            _between("rank", "ranks start at 1", min_value=1),
        ),
    )


@suite
def fct_member_discipline(v: Vocabularies) -> Suite:
    """Non-null keys, uniqueness and vocabularies are dbt tests of the model; GE sees what
    those do not: the probationary rule, keys stored as HMAC, date bounds, the revoked share."""
    relation = "marts.fct_member_discipline"
    return Suite(
        name="fct_member_discipline",
        asset=("marts", "fct_member_discipline"),
        key_columns=DECISION_DIMENSIONS,
        query=f"""with profile as ({_member_decision_profile(relation, missing_keys=False)})
                  select *,
                         sum(decisions) filter (where status = 'revoked') over ()
                             / sum(decisions) filter (where status is not null) over ()
                             as revoked_share
                  from profile""",
        expectations=(
            Expectation("ExpectTableRowCountToBeBetween", {"min_value": 1},
                        "an empty fact table means ingestion lost every decision"),
            *_member_decision_profile_rules(v),
            _between("revoked_share", f"more than {MAX_REVOKED_SHARE:.0%} revoked decisions "
                     "signals a bad revision file", max_value=MAX_REVOKED_SHARE),
        ),
    )


@suite
def discipline_distribution(v: Vocabularies) -> Suite:
    """Year by year shape of the member decisions: sudden changes mean trouble."""
    return Suite(
        name="discipline_distribution",
        asset=("marts", "fct_member_discipline"),
        key_columns=("decision_year",),
        query="""with yearly as (
                     select decision_year, count(*) as decisions,
                            avg((discipline_form = 'expulsion')::int) as expulsion_share
                     from marts.fct_member_discipline where counts_in_totals
                     group by decision_year)
                 select y.decision_year, y.decisions, y.expulsion_share,
                        y.decisions / p.decisions as ratio_to_previous_year
                 from yearly y
                 left join yearly p on p.decision_year = y.decision_year - 1""",
        expectations=(
            _between("expulsion_share",
                     f"expulsions above {MAX_EXPULSION_SHARE:.0%} of a year's decisions "
                     "suggest a mis-mapped form column", max_value=MAX_EXPULSION_SHARE),
            _between("ratio_to_previous_year",
                     "a year with under a fifth or over five times the decisions of the year "
                     "before suggests a missing or doubled submission",
                     min_value=YEAR_OVER_YEAR_BAND[0], max_value=YEAR_OVER_YEAR_BAND[1]),
        ),
    )


@suite
def fct_org_discipline(v: Vocabularies) -> Suite:
    return Suite(
        name="fct_org_discipline",
        asset=("marts", "fct_org_discipline"),
        key_columns=("deciding_unit_code", "decision_ref", "target_unit_code"),
        # keys, forms and authorities are dbt tests of the model
        expectations=(
            _between("decision_date", "no decision predates the party or lies in the future",
                     min_value=PARTY_FOUNDED, max_value=_now()),
        ),
    )


@suite
def fct_activity_profile(v: Vocabularies) -> Suite:
    return Suite(
        name="fct_activity_profile",
        asset=("marts", "fct_activity"),
        key_columns=("start_year", "authority_type"),
        query="""select start_year, authority_type,
                        sum(members_inspected + orgs_inspected) as inspected,
                        count(*) as activities,
                        least(min(members_in_violation), min(orgs_in_violation),
                              min(members_discipline_required),
                              min(orgs_discipline_required)) as smallest_count
                 from marts.fct_activity group by all""",
        expectations=(
            _between("smallest_count", "funnel counts are never negative", min_value=0),
            Expectation("ExpectColumnPairValuesAToBeGreaterThanB",
                        {"column_A": "activities", "column_B": "inspected", "or_equal": True},
                        "each activity inspects exactly one member or organisation"),
        ),
    )


@suite
def dim_org_unit(v: Vocabularies) -> Suite:
    """A row per unit version (about 200,000 nationally): GE sees a profile per level."""
    return Suite(
        name="dim_org_unit",
        asset=("marts", "dim_org_unit"),
        key_columns=("level",),
        # one row per version and the levels are dbt tests of the model
        query="""select level, count(*) as versions,
                        count(*) filter (where valid_to is null or valid_to <= valid_from)
                            as empty_periods
                 from marts.dim_org_unit group by all""",
        expectations=(
            _between("empty_periods", "a unit version ends after it starts", max_value=0),
        ),
    )


UNIT_YEAR_BOUNDED = ("members_disciplined_per_1000", "committee_member_share",
                     "expulsion_share", "corruption_share")


@suite
def mart_discipline_unit_year(v: Vocabularies) -> Suite:
    """A row per unit and year (a quarter of a million nationally): GE sees, per structure and
    year, the smallest and the largest rate and shares, and how many rows count more persons
    than member-decisions."""
    profile = " union all ".join(
        f"select structure, decision_year, '{agg}' as bound, "
        + ", ".join(f"{agg}({c}) as {c}" for c in UNIT_YEAR_BOUNDED)
        + ", count(*) filter (where distinct_members_disciplined > members_disciplined)"
          " as more_persons_than_decisions"
          " from marts.mart_discipline_unit_year group by all"
        for agg in ("min", "max"))
    return Suite(
        name="mart_discipline_unit_year",
        asset=("marts", "mart_discipline_unit_year"),
        key_columns=("structure", "decision_year", "bound"),
        query=profile,
        expectations=(
            _in_set("structure", ["as_of", "current"], "the two roll-up structures"),
            _between("members_disciplined_per_1000",
                     "a rate per 1,000 members lies between 0 and 1,000; above means a wrong "
                     "membership denominator", min_value=0, max_value=1000),
            *(_between(c, "a share lies between 0 and 1", min_value=0, max_value=1)
              for c in UNIT_YEAR_BOUNDED[1:]),
            _between("more_persons_than_decisions",
                     "there are never more persons than member-decisions", max_value=0),
        ),
    )


FUNNEL_COUNTS = ("activities", "members_inspected", "orgs_inspected", "members_in_violation",
                 "orgs_in_violation", "members_discipline_required", "orgs_discipline_required",
                 "members_disciplined", "orgs_disciplined")


@suite
def mart_inspection_funnel(v: Vocabularies) -> Suite:
    """A row per unit, year and authority (millions nationally): GE sees the smallest value of
    each count per year and authority."""
    smallest = ", ".join(f"min({c}) as {c}" for c in FUNNEL_COUNTS)
    return Suite(
        name="mart_inspection_funnel",
        asset=("marts", "mart_inspection_funnel"),
        key_columns=("year", "authority_type"),
        query=f"select year, authority_type, {smallest} "
              "from marts.mart_inspection_funnel group by all",
        expectations=_at_least_zero(*FUNNEL_COUNTS),
    )


@suite
def rpt_published_reconciliation(v: Vocabularies) -> Suite:
    return Suite(
        name="rpt_published_reconciliation",
        asset=("marts", "rpt_published_reconciliation"),
        key_columns=("source_ref", "reporting_unit_code", "measure"),
        # the four statuses are a dbt test of the model
        expectations=(
            *_not_null("published_value", why="a figure without a value cannot be reconciled"),
            _between("published_value", "figures are counts", min_value=0),
            _in_set("measure", v.measures, "measure vocabulary"),
        ),
    )


@suite
def raw_org_disciplines(v: Vocabularies) -> Suite:
    return Suite(
        name="raw_org_disciplines",
        asset=("raw", "org_disciplines"),
        key_columns=("deciding_unit_code", "decision_ref", "target_unit_code"),
        expectations=(
            *_not_null("deciding_unit_code", "decision_ref", "target_unit_code",
                       why="business keys are never empty"),
            _in_set("discipline_form", v.org_forms, "organisations get only organisation forms"),
            _in_set("status", v.statuses, "status vocabulary"),
        ),
    )


@suite
def bridge_member_discipline_violation(v: Vocabularies) -> Suite:
    return Suite(
        name="bridge_member_discipline_violation",
        asset=("marts", "bridge_member_discipline_violation"),
        key_columns=("violation_category",),
        query="""select violation_category, count(*) as pairs,
                        count(*) filter (where deciding_unit_code is null
                                            or decision_ref is null) as missing_decision
                 from marts.bridge_member_discipline_violation group by all""",
        expectations=(
            _between("missing_decision", "every bridge row names a decision", max_value=0),
        ),  # the categories (not null, of the vocabulary) are dbt tests of the model
    )


@suite
def mart_breakdowns(v: Vocabularies) -> Suite:
    """The additive breakdown and the per-category counts, checked on one profile."""
    return Suite(
        name="mart_breakdowns",
        asset=("marts", "mart_discipline_breakdown"),
        key_columns=("source", "structure"),
        query=f"""select 'breakdown' as source, structure, subject_kind, min(disciplined) as least,
                        count(*) filter (where not list_contains({v.authorities},
                                                                 authority_type))
                            as unknown_authority
                 from marts.mart_discipline_breakdown group by all
                 union all
                 select 'category', structure, subject_kind, min(disciplined), 0
                 from marts.mart_discipline_by_violation_category group by all
                 union all
                 select 'term', structure, 'member',
                        min(members_disciplined + orgs_disciplined), 0
                 from marts.mart_discipline_by_term group by all""",
        expectations=(
            _between("least", "a breakdown row counts at least one decision", min_value=1),
            _between("unknown_authority", "authority vocabulary", max_value=0),
            _in_set("structure", ["as_of", "current"], "the two roll-up structures"),
            _in_set("subject_kind", v.subject_kinds, "subject kinds"),
        ),
    )


@suite
def org_unit_rollups(v: Vocabularies) -> Suite:
    """Roll-up bridges hold a row per unit and ancestor (about a million nationally): GE sees
    a profile per structure and distance."""
    return Suite(
        name="org_unit_rollups",
        asset=("marts", "bridge_org_unit_ancestry"),
        key_columns=("source", "distance"),
        query="""with rollups as (
                     select 'as_of' as source, unit_code, ancestor_code, distance, valid_from,
                            valid_to
                     from marts.bridge_org_unit_ancestry
                     union all
                     select 'current', unit_code, ancestor_code, distance, null, null
                     from marts.bridge_org_unit_current_rollup)
                 select source, distance, count(*) as pairs,
                        count(*) filter (where unit_code is null or ancestor_code is null)
                            as missing_ends,
                        count(*) filter (where valid_to <= valid_from) as empty_periods
                 from rollups group by all""",
        expectations=(
            _between("missing_ends", "a roll-up names both ends", max_value=0),
            _between("distance", "the tree has at most five levels", min_value=0, max_value=5),
            _between("empty_periods", "a roll-up holds for a non-empty period", max_value=0),
        ),
    )


@suite
def histories(v: Vocabularies) -> Suite:
    return Suite(
        name="histories",
        asset=("marts", "fct_member_discipline_history"),
        key_columns=("source", "status", "is_current"),
        query="""select source, status, is_current, count(*) as versions,
                        min(version_number) as version_number
                 from (select 'member' as source, version_number, status, is_current
                       from marts.fct_member_discipline_history
                       union all
                       select 'organization', version_number, status, is_current
                       from marts.fct_org_discipline_history)
                 group by all""",
        expectations=(
            _between("version_number", "versions are numbered from 1", min_value=1),
            _in_set("status", v.statuses, "status vocabulary"),
            *_not_null("is_current", why="each version knows whether it is the current one"),
        ),
    )


@suite
def governance(v: Vocabularies) -> Suite:
    return Suite(
        name="governance",
        asset=("marts", "mart_governance_discipline"),
        key_columns=("unit_code", "year"),
        query="""select unit_code, year, least(par_index_rank, sipas_rank, papi_rank,
                                               pci_rank) as best_rank,
                        members_disciplined_per_1000
                 from marts.mart_governance_discipline""",
        expectations=(
            _between("best_rank", "ranks start at 1", min_value=1),
            _between("members_disciplined_per_1000", "a rate per 1,000 lies in 0..1,000",
                     min_value=0, max_value=1000),
            _between("year", "no index for a future year", max_value=_now().year),
        ),
    )


@suite
def vocabularies(v: Vocabularies) -> Suite:
    return Suite(
        name="vocabularies",
        asset=("marts", "dim_discipline_form"),
        key_columns=("vocabulary", "code"),
        query="""select 'discipline_form' as vocabulary, code, label_vi
                 from marts.dim_discipline_form
                 union all select 'authority_type', code, label_vi from marts.dim_authority_type
                 union all select 'channel', code, label_vi from marts.dim_channel
                 union all select 'violation_category', code, label_vi
                 from marts.dim_violation_category
                 union all select 'activity_type', code, label_vi from marts.dim_activity_type
                 union all select 'org_level', code, label_vi from marts.dim_org_level
                 union all select 'status', code, label_vi from marts.dim_status
                 union all select 'party_term', term_code, label_vi from marts.dim_party_term""",
        expectations=(
            Expectation("ExpectCompoundColumnsToBeUnique",
                        {"column_list": ["vocabulary", "code"]}, "one row per code"),
            *_not_null("label_vi", why="every code has its Vietnamese label"),
        ),
    )


def suites(seeds_dir: Path = SEEDS_DIR) -> dict[str, Suite]:
    """Fresh suites: date bounds such as "not in the future" are taken at call time, the
    vocabularies from the seeds in `seeds_dir`."""
    vocabularies = Vocabularies.of(seeds_dir)
    return {suite.name: suite for suite in (build(vocabularies) for build in BUILDERS)}
