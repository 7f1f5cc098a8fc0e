"""SYNTHETIC national-scale submissions, for benchmarks and load tests.

`kyluat generate --out DIR --scale N [--seed S]` writes a landing directory
(`DIR/<kind>/<file>`) in the formats of the submission contract:

- Vietnam's real administrative tree (`kyluat.admin_tree`, `org_units/vietnam_admin_units.csv`):
  the centre `TW`, 63 provinces, 696 districts and 10,035 communes until 2025-07-01, merged
  into 34 provinces and 3,321 communes from that day; on it (`org_units/
  vietnam_party_units.csv`) the party's other grassroots units (agencies, enterprises: up to
  60,000 grassroots units with the communes at scale >= 1), which move directly under their
  new province on 2025-07-01, and party cells under every grassroots unit (a commune's follow
  its primary successor), a few of which are dissolved along the way;
- memberships of every unit at each year end;
- about 500,000 inspections, supervisions and complaint cases a year (`activities`);
- about 25,000 member-decisions a year, most of them following an activity found in
  violation, and a few hundred decisions on organisations; some decisions are revised
  (amended or revoked) in the next month's file;
- yearly aggregate reports of every province and the national (`TW`) funnel figures,
  equal to the records except for a few deliberately approximate or wrong ones;
- provincial governance indicators.

`--scale 1` is one national year (2024), `--scale 10` ten (2015..2024), `--scale 0.1`
a tenth of a year on the real tree with fewer other grassroots units. Large kinds are split
into monthly files (`activities/2024-01.csv`, `member_disciplines/2024-01.csv`, ...), so
that one new month can be added to a loaded warehouse.

Everything is computed by DuckDB over `range()` with `hash()`-based pseudo-randomness
seeded by `--seed`: same seed, byte-identical files. Nothing here is real but the
administrative tree.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import duckdb

from kyluat.admin_tree import OLD_TREE_FROM, write_admin_tree
from kyluat.config import SEEDS_DIR
from kyluat.readers import sql_text
from kyluat.reference import MemberForms, codes, column, member_forms
from synthetic.columns import (
    ACTIVITY_COLUMNS,
    GOVERNANCE_COLUMNS,
    MEMBER_COLUMNS,
    MEMBERSHIP_COLUMNS,
    ORG_DISCIPLINE_COLUMNS,
    ORG_UNIT_COLUMNS,
    REPORT_COLUMNS,
)

DEFAULT_SEED = 20250701
LAST_YEAR = 2024
MERGER_DAY = date(2025, 7, 1)
TREE_FROM = OLD_TREE_FROM  # the party units are as old as the administrative tree

# Of the real tree (kyluat.admin_tree): 63 provinces merged into 34, 696 districts and
# 10,035 communes until the merger.
PROVINCES, SURVIVING_PROVINCES = 63, 34
DISTRICTS, COMMUNES = 696, 10_035
GRASSROOTS = 60_000  # communes and the party's other grassroots units (agencies, enterprises)
ACTIVITIES_PER_YEAR = 500_000
UNLINKED_DECISIONS_PER_YEAR = 2_500  # decisions through "other" work, citing no activity
DISSOLVED_CELL_SHARE = 0.02
REVISED_DECISION_SHARE = 0.015
# A cell is used as a subject only when it outlives the activity's start by this much, so
# that every date of the activity and of the decisions that follow falls inside its life.
CELL_MARGIN_DAYS = 250

CATEGORIES = codes("violation_category")
CHANNEL_OF_TYPE = column("activity_type", "channel")
# Weighted by repetition: (authority, subject kind) -> activity types.
ACTIVITY_TYPES = {
    ("inspection_committee", "member"): ["inspection_on_signs"] * 3 + ["asset_declaration"] * 2
    + ["regular_supervision"] * 2 + ["thematic_supervision", "denunciation", "denunciation",
                                     "appeal"],
    ("inspection_committee", "organization"): ["inspection_on_signs"] * 2
    + ["inspection_of_discipline_work"] * 2 + ["finance_inspection"] * 2
    + ["regular_supervision", "thematic_supervision", "thematic_supervision", "denunciation"],
    ("party_committee", "member"): ["committee_inspection"] * 3 + ["regular_supervision"] * 3
    + ["thematic_supervision", "thematic_supervision", "denunciation"],
    ("party_committee", "organization"): ["committee_inspection"] * 3
    + ["regular_supervision"] * 3 + ["thematic_supervision"] * 2,
}
SURNAMES = ["Nguyễn", "Trần", "Lê", "Phạm", "Huỳnh", "Hoàng", "Phan", "Vũ", "Võ", "Đặng",
            "Bùi", "Đỗ", "Hồ", "Ngô", "Dương", "Lý", "Đoàn", "Trương", "Đinh", "Mai"]
MIDDLE_NAMES = ["Văn", "Thị", "Hữu", "Đức", "Minh", "Ngọc", "Thanh", "Quang", "Xuân", "Công"]
GIVEN_NAMES = ["An", "Bình", "Cường", "Dũng", "Hà", "Hải", "Hạnh", "Hiếu", "Hoa", "Hùng",
               "Hương", "Khánh", "Lan", "Linh", "Long", "Nam", "Nga", "Phong", "Sơn", "Tâm",
               "Thảo", "Thành", "Trung", "Tuấn", "Vân", "Việt", "Yến", "Quân", "Phúc", "Mai"]
INDICATORS = ["PAR_INDEX", "SIPAS", "PAPI", "PCI"]

@dataclass(frozen=True)
class Plan:
    """What a scale means: which years, how many units and records per year."""
    scale: float
    seed: int
    years: tuple[int, ...]
    districts: int
    grassroots: int
    activities_per_year: int
    unlinked_decisions_per_year: int

    @classmethod
    def of(cls, scale: float, seed: int = DEFAULT_SEED) -> Plan:
        if not scale > 0:
            raise ValueError("scale must be positive")
        n_years = max(1, round(scale)) if scale >= 1 else 1
        per_year = scale / n_years
        tree = min(1.0, scale)
        return cls(
            scale=scale, seed=seed,
            years=tuple(range(LAST_YEAR - n_years + 1, LAST_YEAR + 1)),
            districts=DISTRICTS,
            grassroots=max(COMMUNES, round(GRASSROOTS * tree)),
            activities_per_year=max(1, round(ACTIVITIES_PER_YEAR * per_year)),
            unlinked_decisions_per_year=max(1, round(UNLINKED_DECISIONS_PER_YEAR * per_year)),
        )


def _list(values: list[str]) -> str:
    return "[" + ", ".join("'" + v.replace("'", "''") + "'" for v in values) + "]"


def _pick(values: list[str], tag: str, key: str) -> str:
    """One of `values`, chosen by the hash of (`tag`, `key`)."""
    return f"{_list(values)}[1 + ri('{tag}', {key}, {len(values)})]"


def _define_macros(con, seed: int) -> None:
    # ri: an integer in [0, n); u01: a number in [0, 1). Both are functions of the seed,
    # a tag naming the choice and the record's key. hash() of several values only combines
    # their hashes, which leaves choices of one key correlated: hashing the combination
    # again mixes it, so that every choice is independent of the others.
    con.execute(f"create macro mix(tag, k) as hash(hash({seed}::bigint, tag, k))")
    con.execute("create macro ri(tag, k, n) as (mix(tag, k) % n::ubigint)::bigint")
    con.execute("create macro u01(tag, k) as (mix(tag, k) >> 11)::double / 9007199254740992.0")
    con.execute("create macro pcode(p) as 'P' || lpad(p::varchar, 2, '0')")
    con.execute(f"""create macro cell_end(cid) as case
        when u01('cell_dissolved', cid) < {DISSOLVED_CELL_SHARE}
        then date '2016-01-01' + ri('cell_dissolved_on', cid, 3000)::integer end""")
    con.execute("create macro member_id(tag, k) as "
                "'DV' || lpad((mix(tag, k) % 10000000000)::varchar, 10, '0')")
    con.execute("create macro days_in_year(y) as (make_date(y + 1, 1, 1) - make_date(y, 1, 1))")


def _tree(con, plan: Plan, tree_file: Path) -> None:
    """The real skeleton (`tree_file`, from kyluat.admin_tree) and the party units on it:
    grassroots units that are not communes (agencies, enterprises), under the old districts
    and directly under the new province from 2025-07-01, and party cells under every
    grassroots unit, a few of which are dissolved along the way."""
    merger = f"date '{MERGER_DAY.isoformat()}'"
    con.execute(f"""
        create table skeleton as
        select * from read_csv({sql_text(str(tree_file))}, all_varchar = true, header = true)
    """)
    con.execute("""
        create table province as
        select row_number() over (order by unit_code) as p, unit_code as code,
               successor_codes as successor
        from skeleton where level = 'province' and valid_to is not null
    """)
    con.execute("""
        create table district as
        select row_number() over (order by d.unit_code) - 1 as j, d.unit_code as code,
               d.parent_code as province_code, pr.successor as province_successor
        from skeleton d join province pr on pr.code = d.parent_code
        where d.level = 'district'
    """)
    con.execute(f"""
        create table grassroots as
        with communes as (
            select row_number() over (order by c.unit_code) - 1 as i, c.unit_code as code,
                   d.code as district_code, d.province_code, d.province_successor,
                   c.unit_type = 'phường' as urban, true as is_commune,
                   string_split(c.successor_codes, ';')[1] as primary_successor
            from skeleton c join district d on d.code = c.parent_code
            where c.level = 'grassroots' and c.valid_to is not null
        ), n as (select count(*) as n from communes)
        select * from communes
        union all
        select n + k, d.code || '-G' || lpad((k // {plan.districts} + 1)::varchar, 3, '0'),
               d.code, d.province_code, d.province_successor, u01('urban', n + k) < 0.3, false,
               null
        from n, range({plan.grassroots} - n) t(k)
        join district d on d.j = k % {plan.districts}
    """)
    con.execute("alter table grassroots add column n_cells bigint")
    con.execute("update grassroots set n_cells = ri('cells', i, 4)")
    con.execute("""
        create table cell as
        select g.i, c, g.i * 4 + c as cid, g.code as grassroots_code, g.primary_successor,
               g.code || '-C' || c as code, cell_end(g.i * 4 + c) as valid_to
        from grassroots g, range(1, 4) t(c)
        where c <= g.n_cells
    """)
    con.execute(f"""
        create table org_units as
        select code as unit_code, date '{TREE_FROM.isoformat()}' as valid_from,
               case when urban then 'Đảng bộ cơ quan ' else 'Đảng bộ doanh nghiệp ' end || code
                   as name,
               'grassroots' as level, district_code as parent_code,
               case when urban then 'agency' else 'enterprise' end as unit_type,
               {merger} as valid_to, null::varchar as successor_codes
        from grassroots where not is_commune
        union all
        select code, {merger},
               case when urban then 'Đảng bộ cơ quan ' else 'Đảng bộ doanh nghiệp ' end || code,
               'grassroots', province_successor,
               case when urban then 'agency' else 'enterprise' end, null, null
        from grassroots where not is_commune
        union all
        -- a cell of a commune moves to the commune's primary successor on 2025-07-01
        select code, date '{TREE_FROM.isoformat()}', 'Chi bộ ' || code, 'cell', grassroots_code,
               'cell', coalesce(valid_to, case when primary_successor is not null
                                              then {merger} end),
               case when valid_to is not null then grassroots_code end
        from cell
        union all
        select code, {merger}, 'Chi bộ ' || code, 'cell', primary_successor, 'cell', null, null
        from cell where primary_successor is not null and valid_to is null
    """)
    # every unit's province before the merger, for the provinces' yearly reports
    con.execute("""
        create table unit_province as
        select code as unit_code, code as province_code from province
        union all select code, province_code from district
        union all select code, province_code from grassroots
        union all select c.code, g.province_code from cell c join grassroots g using (i)
    """)


def _memberships(con, plan: Plan) -> None:
    """Year-end member counts; a unit counts itself and everything below it."""
    years = ", ".join(str(y) for y in plan.years)
    con.execute(f"""
        create table memberships as
        with g as (
            select y, g.code, g.district_code, g.province_code, g.n_cells,
                   30 + ri('members', g.i, 300) + (y - 2010) * ri('growth', g.i, 4) as members
            from grassroots g, unnest([{years}]) t(y)
        ), d as (
            select y, district_code as code, province_code,
                   sum(members) + 60 as members, count(*) as orgs
            from g group by all
        ), p as (
            select y, province_code as code, sum(members) + 400 as members, sum(orgs) as orgs
            from d group by all
        )
        select y, code as unit_code, make_date(y, 12, 31) as as_of_date, members,
               nullif(n_cells, 0) as party_organizations
        from g
        union all select y, code, make_date(y, 12, 31), members, orgs from d
        union all select y, code, make_date(y, 12, 31), members, orgs from p
        union all
        select y, 'TW', make_date(y, 12, 31), sum(members) + 5000, sum(orgs) from p group by y
    """)


def _pick_units(source: str, plan: Plan, member_share: float) -> str:
    """Subject units of records drawn from `source` (id, start_date), on the tree valid at
    `start_date`: a cell, grassroots unit, district or province (level 4..1), with the codes
    of its ancestors. A cell dissolved near or after `start_date` is never picked."""
    return f"""
        select *,
               case when lvl_u < 0.35 and n_cells > 0
                         and coalesce(cell_end(gi * 4 + cno) > start_date
                                      + {CELL_MARGIN_DAYS}, true) then 4
                    when lvl_u < 0.80 then 3 when lvl_u < 0.95 then 2 else 1 end as lvl,
               grassroots_code || '-C' || cno as cell_code
        from (
            select s.*, g.code as grassroots_code, g.district_code, g.province_code,
                   g.n_cells, 1 + ri('cell', s.id, greatest(g.n_cells, 1)) as cno
            from (
                select *, ri('grassroots', id, {plan.grassroots}) as gi,
                       u01('level', id) as lvl_u,
                       u01('subject_kind', id) < {member_share} as is_member
                from {source}
            ) s
            join grassroots g on g.i = s.gi
        )
    """


def _unit_at(level: str) -> str:
    return (f"case {level} when 0 then 'TW' when 1 then province_code when 2 then district_code "
            f"when 3 then grassroots_code else cell_code end")


def _categories(key: str) -> str:
    """One or two violation categories, `;`-separated in the contract's order."""
    first = f"ri('category', {key}, {len(CATEGORIES)})"
    second = (f"({first} + 1 + ri('category2', {key}, {len(CATEGORIES) - 1})) "
              f"% {len(CATEGORIES)}")
    cats = _list(CATEGORIES)
    return (f"case when u01('two_categories', {key}) < 0.25 then "
            f"{cats}[1 + least({first}, {second})] || ';' || "
            f"{cats}[1 + greatest({first}, {second})] "
            f"else {cats}[1 + {first}] end")


def _activities(con, plan: Plan) -> None:
    years = ", ".join(str(y) for y in plan.years)
    cutoff = f"date '{plan.years[-1]}-12-31'"
    channel = "case activity_type " + " ".join(
        f"when '{t}' then '{c}'" for t, c in CHANNEL_OF_TYPE.items()) + " end"
    types = "case " + " ".join(
        f"when authority_type = '{a}' and is_member = {k == 'member'} "
        f"then {_pick(v, 'activity_type', 'id')}"
        for (a, k), v in ACTIVITY_TYPES.items()) + " end"
    source = f"""(
        select y, a, y * 10000000 + a as id,
               make_date(y, 1, 1) + ri('start', y * 10000000 + a, days_in_year(y))::integer
                   as start_date
        from unnest([{years}]::bigint[]) t(y), range({plan.activities_per_year}) r(a)
    )"""
    con.execute(f"""
        create table activity as
        with picked as ({_pick_units(source, plan, 0.6)}),
        acting as (
            select *,
                   greatest(lvl - case when is_member then
                                    case when u01('distance', id) < 0.5 then 0
                                         when u01('distance', id) < 0.85 then 1 else 2 end
                                  else case when u01('distance', id) < 0.7 then 1 else 2 end
                                  end, 0) as conducting_lvl
            from picked
        ), typed as (
            select *,
                   case when conducting_lvl = 4 or u01('authority', id) < 0.35
                        then 'party_committee' else 'inspection_committee' end
                       as authority_type,
                   {_unit_at('lvl')} as subject_unit_code,
                   {_unit_at('conducting_lvl')} as conducting_unit_code,
                   start_date + 5 + ri('duration', id, 115)::integer as planned_end
            from acting
        ), concluded as (
            select *, {types} as activity_type,
                   case when planned_end <= {cutoff} then planned_end end as end_date
            from typed
        ), found as (
            select *, {channel} as channel,
                   case when end_date is not null then u01('violation', id) < case
                        when activity_type in ('inspection_on_signs', 'denunciation') then 0.3
                        else 0.1 end end as violation_found
            from concluded
        )
        select y, a, id, conducting_unit_code,
               'KT' || y || '-' || lpad((a + 1)::varchar, 6, '0') || '/' || conducting_unit_code
                   as activity_ref,
               authority_type, activity_type,
               case when is_member then 'member' else 'organization' end as subject_kind,
               subject_unit_code, start_date, end_date,
               case when is_member then member_id('activity_member', id) end
                   as subject_member_id,
               case when end_date is not null then 'TB' || y || '-'
                    || lpad((a + 1)::varchar, 6, '0') || '/' || conducting_unit_code end
                   as conclusion_ref,
               violation_found,
               case when end_date is null then null
                    when is_member then violation_found::int
                    when violation_found then ri('members_in_violation', id, 5) else 0 end
                   as members_in_violation,
               case when end_date is null then null
                    when is_member then 0 else violation_found::int end as orgs_in_violation,
               case when end_date is null then null
                    when not violation_found then 0
                    when is_member then (u01('member_required', id) < 0.38)::int
                    when u01('members_required', id) < 0.35 then least(
                        ri('members_in_violation', id, 5), 1 + ri('members_required_n', id, 2))
                    else 0 end as members_discipline_required,
               case when end_date is null then null
                    when is_member or not violation_found then 0
                    else (u01('org_required', id) < 0.05)::int end as orgs_discipline_required,
               channel, lvl, conducting_lvl
        from found
    """)


# Shares of the member forms (of vocab_discipline_form), and the share of the first form a
# probationary member may get; which forms a member may get comes from the seed
# (`reference.MemberForms`).
FORM_SHARES = {"reprimand": 0.55, "warning": 0.28, "removal_from_post": 0.07, "expulsion": 0.10}
PROBATIONARY_FIRST_FORM_SHARE = 0.66


def _form_draw(u: str, shares: dict[str, float], committee: str, forms: MemberForms) -> str:
    """One of the forms of `shares` by the draw `u`; a form that needs a post goes to the
    first form when the member holds none."""
    def value(form: str) -> str:
        if form in forms.needing_post:
            return f"case when {committee} then '{form}' else '{forms.forms[0]}' end"
        return f"'{form}'"

    cases, upper = [], 0.0
    for form, share in list(shares.items())[:-1]:
        upper = round(upper + share, 9)
        cases.append(f"when {u} < {upper} then {value(form)}")
    last = value(list(shares)[-1])
    return f"case {' '.join(cases)} else {last} end" if cases else last


def _may_get(form: str, probationary: str, committee: str, forms: MemberForms) -> str:
    """Whether a member may get `form` (SQL)."""
    conditions = [f"not {probationary}"] if form not in forms.for_probationary else []
    conditions += [committee] if form in forms.needing_post else []
    return " and ".join(conditions) or "true"


def _member_form(key: str, probationary: str, committee: str, forms: MemberForms) -> str:
    u = f"u01('form', {key})"
    first, *others = forms.for_probationary
    rest = sum(FORM_SHARES[f] for f in others)
    probationary_shares = {first: PROBATIONARY_FIRST_FORM_SHARE} | {
        f: (1 - PROBATIONARY_FIRST_FORM_SHARE) * FORM_SHARES[f] / rest for f in others}
    return (f"case when {probationary} then "
            f"{_form_draw(u, probationary_shares, committee, forms)} "
            f"else {_form_draw(u, {f: FORM_SHARES[f] for f in forms.forms}, committee, forms)}"
            " end")


def _decisions(con, plan: Plan, forms: MemberForms) -> None:
    cutoff = f"date '{plan.years[-1]}-12-31'"
    years = ", ".join(str(y) for y in plan.years)
    # Decisions that follow an activity: the conducting unit decides, on the subject member
    # or on members of the subject organisation, some weeks after the conclusion.
    con.execute("""
        create table decision_base as
        select id, y, 'KL' || y || '-' || lpad((a + 1)::varchar, 6, '0') || '/'
                   || conducting_unit_code as decision_ref,
               conducting_unit_code as deciding_unit_code, authority_type, channel,
               subject_unit_code as member_unit_code, lvl as member_lvl,
               end_date + 10 + ri('decision_delay', id, 50)::integer as decision_date,
               case when u01('cites_activity', id) < 0.85 then activity_ref end
                   as activity_ref,
               members_discipline_required as members,
               case when subject_kind = 'member' then subject_member_id end as member_id_1
        from activity
        where members_discipline_required > 0
    """)
    source = f"""(
        select y, a, y * 10000000 + 9000000 + a as id,
               make_date(y, 1, 1) + ri('start', y * 10000000 + 9000000 + a,
                                       days_in_year(y))::integer as start_date
        from unnest([{years}]::bigint[]) t(y), range({plan.unlinked_decisions_per_year}) r(a)
    )"""
    con.execute(f"""
        insert into decision_base
        with picked as ({_pick_units(source, plan, 1.0)}),
        acting as (
            select *, greatest(lvl - (u01('distance', id) < 0.3)::int, 0) as deciding_lvl
            from picked
        )
        select id, y, 'KLK' || y || '-' || lpad((a + 1)::varchar, 6, '0') || '/'
                   || {_unit_at('deciding_lvl')},
               {_unit_at('deciding_lvl')},
               case when deciding_lvl = 4 or u01('authority', id) < 0.5 then 'party_committee'
                    else 'inspection_committee' end,
               'other', {_unit_at('lvl')}, lvl, start_date, null, 1, null
        from acting
    """)
    con.execute(f"delete from decision_base where decision_date > {cutoff}")
    committee = "u01('committee', rid) < 0.3"
    probationary = f"not ({committee}) and member_lvl >= 3 and u01('probationary', rid) < 0.06"
    con.execute(f"""
        create table member_decision as
        with rows as (
            select b.*, m, b.id * 4 + m as rid
            from decision_base b, range(b.members) t(m)
        ), people as (
            select *, {committee} as is_committee_member, {probationary} as is_probationary
            from rows
        )
        select deciding_unit_code, decision_ref,
               coalesce(case when m = 0 then member_id_1 end, member_id('member', rid))
                   as member_id,
               {_pick(SURNAMES, 'surname', 'rid')} || ' ' || {_pick(MIDDLE_NAMES, 'middle', 'rid')}
                   || ' ' || {_pick(GIVEN_NAMES, 'given', 'rid')} as member_name,
               authority_type,
               {_member_form('rid', 'is_probationary', 'is_committee_member', forms)}
                   as discipline_form,
               decision_date, member_unit_code, {_categories('id')} as violation_categories,
               channel, is_committee_member, is_probationary, activity_ref,
               'in_force' as status,
               case when u01('violation_dated', id) < 0.5
                    then decision_date - 30 - ri('violation_age', id, 800)::integer end
                   as violation_date,
               id, strftime(decision_date, '%Y-%m') as file_month
        from people
    """)
    # Revisions: sent in the next month's file under the same business key; an amendment
    # moves the first member form to the second where the member may get it, any other form
    # to the first.
    first, second = forms.forms[:2]
    may_get_second = _may_get(second, "is_probationary", "is_committee_member", forms)
    con.execute(f"""
        create table member_revision as
        select * exclude (discipline_form, status, file_month),
               case when u01('revoked', id) < 0.4 then discipline_form
                    when discipline_form = '{first}' and {may_get_second} then '{second}'
                    else '{first}' end
                   as discipline_form,
               case when u01('revoked', id) < 0.4 then 'revoked' else 'amended' end as status,
               strftime(decision_date + interval 1 month, '%Y-%m') as file_month
        from member_decision
        where u01('revised', id) < {REVISED_DECISION_SHARE}
          and strftime(decision_date, '%Y-%m') < '{plan.years[-1]}-12'
    """)
    con.execute(f"""
        create table org_decision as
        select conducting_unit_code as deciding_unit_code,
               'KLTC' || y || '-' || lpad((a + 1)::varchar, 6, '0') || '/'
                   || conducting_unit_code as decision_ref,
               subject_unit_code as target_unit_code, authority_type,
               case when u01('org_form', id) < 0.05 then 'dissolution'
                    when u01('org_form', id) < 0.4 then 'warning' else 'reprimand' end
                   as discipline_form,
               end_date + 10 + ri('decision_delay', id, 50)::integer as decision_date,
               {_categories('id')} as violation_categories, channel, activity_ref,
               'in_force' as status, id
        from activity
        where orgs_discipline_required > 0
          and end_date + 10 + ri('decision_delay', id, 50)::integer <= {cutoff}
    """)


def _reports(con, plan: Plan) -> None:
    """Yearly figures of every province and the national funnel, from the records."""
    con.execute("""
        create table current_member_decision as
        select d.*, coalesce(r.status, d.status) as current_status,
               coalesce(up.province_code, '') as province_code
        from member_decision d
        left join member_revision r using (deciding_unit_code, decision_ref, member_id)
        left join unit_province up on up.unit_code = d.deciding_unit_code
    """)
    figures = """
        select 'P' as origin, province_code as unit, year(decision_date) as y,
               'disciplined' as measure, 'all' as authority, 'member' as subject_kind,
               count(*) as v
        from current_member_decision
        where current_status <> 'revoked' and province_code <> '' group by all
        union all
        select 'P', province_code, year(decision_date), 'disciplined', authority_type,
               'member', count(*)
        from current_member_decision
        where current_status <> 'revoked' and province_code <> ''
          and authority_type = 'inspection_committee'
        group by all
        union all
        select 'T', 'TW', year(decision_date), 'disciplined', 'all', 'member', count(*)
        from current_member_decision where current_status <> 'revoked' group by all
        union all
        select 'T', 'TW', year(decision_date), 'disciplined', 'all', 'organization', count(*)
        from org_decision group by all
        union all
        select 'T', 'TW', year(start_date), f.measure, 'all', f.kind, sum(f.v)
        from activity, unnest([
            {'measure': 'inspected', 'kind': 'member', 'v': (subject_kind = 'member')::int},
            {'measure': 'inspected', 'kind': 'organization',
             'v': (subject_kind = 'organization')::int},
            {'measure': 'violation_found', 'kind': 'member',
             'v': coalesce(members_in_violation, 0)},
            {'measure': 'violation_found', 'kind': 'organization',
             'v': coalesce(orgs_in_violation, 0)},
            {'measure': 'discipline_required', 'kind': 'member',
             'v': coalesce(members_discipline_required, 0)},
            {'measure': 'discipline_required', 'kind': 'organization',
             'v': coalesce(orgs_discipline_required, 0)}
        ]) t(f)
        group by all
    """
    # Every province reports every year, even a year without decisions.
    con.execute(f"""
        create table report as
        with grid as (
            select 'P' as origin, pr.code as unit, y, 'disciplined' as measure, a as authority,
                   'member' as subject_kind
            from province pr, unnest([{', '.join(str(y) for y in plan.years)}]) t(y),
                 unnest(['all', 'inspection_committee']) s(a)
        ), counted as ({figures}),
        figures as (
            select grid.origin, grid.unit, grid.y, grid.measure, grid.authority,
                   grid.subject_kind, coalesce(counted.v, 0) as v
            from grid left join counted using (origin, unit, y, measure, authority, subject_kind)
            union all
            select * from counted where origin = 'T'
        ), keyed as (
            select *, hash(unit, y, measure, authority, subject_kind) as k from figures
        )
        select unit as reporting_unit_code, make_date(y, 1, 1) as period_start,
               make_date(y, 12, 31) as period_end, measure, authority as authority_type,
               subject_kind, 'all' as discipline_form, 'all' as violation_category,
               'all' as channel,
               'BC' || y || '/' || case when authority = 'all' then 'UB' else 'UBKT' end
                   || '/' || unit as source_ref,
               case when origin = 'T' then v
                    when u01('qualifier', k) < 0.04 then floor(v * 0.95)::bigint
                    when u01('qualifier', k) < 0.07 then round(v * 1.02)::bigint
                    when u01('qualifier', k) < 0.09 then v + 1 + ri('error', k, 5)
                    else v end as value,
               case when origin = 'T' then 'exact'
                    when u01('qualifier', k) < 0.04 then 'at_least'
                    when u01('qualifier', k) < 0.07 then 'approximately'
                    else 'exact' end as value_qualifier,
               'unit_and_below' as scope,
               make_date(y + 1, 1, 10) + ri('reported', k, 20)::integer as as_of_date,
               'Báo cáo công tác kiểm tra, giám sát và thi hành kỷ luật đảng năm ' || y
                   || ', ' || unit || ' (SYNTHETIC)' as source_title,
               y
        from keyed
    """)


def _governance(con, plan: Plan) -> None:
    years = ", ".join(str(y) for y in plan.years)
    con.execute(f"""
        create table governance as
        select pr.code as unit_code, y as year, ind as indicator,
               row_number() over (partition by y, ind
                                  order by hash({plan.seed}::bigint, 'rank', y, ind, pr.p),
                                           pr.p) as rank,
               round(50 + 40 * u01('score', hash(y, ind, pr.p)), 2) as score,
               'SYNTHETIC governance index ' || y as source_ref
        from province pr, unnest([{years}]) t(y), unnest({_list(INDICATORS)}) i(ind)
    """)


def _copy(con, query: str, path: Path, fmt: str = "csv") -> int:
    path.parent.mkdir(parents=True, exist_ok=True)
    options = {"csv": "(header, delimiter ',')", "ndjson": "(format json)",
               "json": "(format json, array true)"}[fmt]
    text = str(path).replace("'", "''")
    return con.execute(f"copy ({query}) to '{text}' {options}").fetchone()[0]


def generate(out_dir: str | Path, scale: float, seed: int = DEFAULT_SEED,
             seeds_dir: Path = SEEDS_DIR) -> dict[str, int]:
    """Write the synthetic landing directory; returns rows written per file (relative path).
    The contract's rules come from the vocabulary seeds in `seeds_dir`."""
    plan = Plan.of(scale, seed)
    out = Path(out_dir)
    for kind in ("org_units", "memberships", "member_disciplines", "org_disciplines",
                 "activities", "aggregate_reports", "governance_indicators"):
        shutil.rmtree(out / kind, ignore_errors=True)
    out.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect()
    counts: dict[str, int] = {}
    try:
        _define_macros(con, seed)
        tree_file = write_admin_tree(out)
        counts[tree_file.relative_to(out).as_posix()] = con.execute(
            f"select count(*) from read_csv({sql_text(str(tree_file))}, header = true)"
        ).fetchone()[0]
        _tree(con, plan, tree_file)
        _memberships(con, plan)
        _activities(con, plan)
        _decisions(con, plan, member_forms(seeds_dir))
        _reports(con, plan)
        _governance(con, plan)

        def write(rel: str, query: str, fmt: str = "csv") -> None:
            counts[rel] = _copy(con, query, out / rel, fmt)

        # named after the tree's file, so read after it: its parents are units of the tree
        write("org_units/vietnam_party_units.csv", f"select {', '.join(ORG_UNIT_COLUMNS)} "
              "from org_units order by unit_code, valid_from")
        member_columns = ", ".join(MEMBER_COLUMNS)
        for year in plan.years:
            write(f"memberships/{year}.csv", f"select {', '.join(MEMBERSHIP_COLUMNS)} "
                  f"from memberships where y = {year} order by unit_code")
            for month in range(1, 13):
                ym = f"{year}-{month:02d}"
                write(f"activities/{ym}.csv",
                      f"select {', '.join(ACTIVITY_COLUMNS)} from activity "
                      f"where y = {year} and month(start_date) = {month} order by id")
                write(f"member_disciplines/{ym}.csv", f"""
                    select {member_columns} from (
                        select {member_columns}, id, 0 as version from member_decision
                        where file_month = '{ym}'
                        union all
                        select {member_columns}, id, 1 from member_revision
                        where file_month = '{ym}')
                    order by version, decision_date, id, member_id""")
            write(f"org_disciplines/{year}.ndjson",
                  f"select {', '.join(ORG_DISCIPLINE_COLUMNS)} from org_decision "
                  f"where year(decision_date) = {year} order by decision_date, id", "ndjson")
            write(f"aggregate_reports/{year}.csv",
                  f"select {', '.join(REPORT_COLUMNS)} from report where y = {year} "
                  "order by reporting_unit_code, measure, subject_kind, authority_type")
        write("governance_indicators/indicators.json",
              f"select {', '.join(GOVERNANCE_COLUMNS)} from governance "
              "order by year, indicator, unit_code", "json")
    finally:
        con.close()
    counts = dict(sorted(counts.items()))
    (out / "README.md").write_text(_readme(plan, counts), encoding="utf-8", newline="\n")
    return counts


def _readme(plan: Plan, counts: dict[str, int]) -> str:
    by_kind: dict[str, tuple[int, int]] = {}
    for rel, rows in counts.items():
        files, total = by_kind.get(rel.split("/")[0], (0, 0))
        by_kind[rel.split("/")[0]] = (files + 1, total + rows)
    table = "\n".join(f"| `{kind}` | {files} | {rows:,} |"
                      for kind, (files, rows) in by_kind.items())
    return f"""# SYNTHETIC DATA: kyluat national-scale benchmark landing

**EVERY RECORD IN THIS FOLDER IS SYNTHETIC** but the administrative tree
(`org_units/vietnam_admin_units.csv`, from the `vietnamadminunits` package: provinces,
districts and communes with their GSO codes). The party units on it, members, names,
decisions, activities, reports and indices are invented; codes such as `D490-G012` name no
real organisation. Written by `kyluat generate --scale {plan.scale:g} --seed {plan.seed}`
(`synthetic/generate.py`); the same command writes byte-identical files.

Years {plan.years[0]}..{plan.years[-1]}; {PROVINCES} provinces merged into
{SURVIVING_PROVINCES} on {MERGER_DAY}, {plan.districts} districts (abolished on
{MERGER_DAY}), {plan.grassroots:,} grassroots units ({COMMUNES:,} communes merged into 3,321),
{plan.activities_per_year:,} activities a year. Keep this README outside the landing
directory you load (a file at the top of the landing directory that is not a workbook is
rejected).

| kind | files | rows |
|---|---|---|
{table}
| **total** | {len(counts)} | {sum(counts.values()):,} |
"""
