-- The pipeline's headline work as one plain DuckDB SQL script: the yardstick of `make bench`.
--
-- Reads a landing directory written by `kyluat generate` (CSV, NDJSON, JSON), validates every
-- row (types, vocabularies, units valid on the row's date, business keys, formula-like text),
-- replaces member ids by their HMAC-SHA256 keys, keeps the current version of each business
-- key (latest file, then latest row), and builds the headline outputs:
--   fct_member_discipline        one row per (decision, member), current version
--   ancestry                     (unit, ancestor) pairs with validity, the tree as it was
--   members_by_unit_year         members disciplined per unit (all levels under it) and year
--   reconciliation               each submitted aggregate figure beside the computed value
--
-- No Dagster, no dbt, no per-file bookkeeping: a lower bound for the same answers.
-- Set by the caller (benchmarks/run.py, `baseline_prelude`), from the rules' homes in kyluat and
-- dbt_project: the macros clean (kyluat.validation's cleaning of a value: NFC, trimmed, NUL
-- marked, empty as null), kyluat_fold (kyluat.reference), pdate (kyluat.validation's date
-- parser), to_bool and is_bool (its yes/no words), and the variables
--   landing  the landing directory          seeds  dbt_project/seeds
--   ipad     HMAC inner pad (hex, 64 bytes)   opad   HMAC outer pad (hex, 64 bytes)
--   open_valid_to (dbt var), default_status, default_value_qualifier, default_scope (the
--   contract's defaults)

create or replace macro is_formula(s) as coalesce(regexp_matches(s, '^[=+\-@]'), false);
create or replace macro is_count(s) as s is null or regexp_full_match(s, '[0-9]+(\.0+)?');
create or replace macro member_key(id) as
    sha256(unhex(getvariable('opad')) || unhex(sha256(unhex(getvariable('ipad'))
        || encode(upper(regexp_replace(id, '\s+', '', 'g'))))));
create or replace macro split_list(s) as
    list_filter(list_transform(string_split(s, ';'), lambda x: trim(x)), lambda x: x <> '');

-- Vocabularies: every code, label and alias of the seeds, folded.
create or replace table vocab as
with seeds as (
    select regexp_extract(filename, 'vocab_([a-z_]+)\.csv$', 1) as vocabulary, code,
           [code, label_en, label_vi] || coalesce(string_split(aliases, '|'), []) as terms,
           lower(coalesce(applies_to_member, '')) = 'true' as for_member,
           lower(coalesce(applies_to_org, '')) = 'true' as for_org
    from read_csv(getvariable('seeds') || '/vocab_*.csv', all_varchar = true,
                  union_by_name = true, filename = true)
), terms as (
    select vocabulary, code, unnest(terms) as term from seeds
    union all
    select 'member_discipline_form', code, unnest(terms) from seeds
    where vocabulary = 'discipline_form' and for_member
    union all
    select 'org_discipline_form', code, unnest(terms) from seeds
    where vocabulary = 'discipline_form' and for_org
)
select distinct vocabulary, kyluat_fold(term) as k, code from terms where trim(term) <> '';

-- Which forms a member may get (CONTRACT §4), from the seed as the pipeline reads it.
set variable forms_for_probationary = (
    select list(code) from read_csv(getvariable('seeds') || '/vocab_discipline_form.csv',
                                    all_varchar = true)
    where lower(allowed_for_probationary) = 'true');
set variable forms_needing_post = (
    select list(code) from read_csv(getvariable('seeds') || '/vocab_discipline_form.csv',
                                    all_varchar = true)
    where lower(needs_post) = 'true');

set variable v_authority = (select map_from_entries(list((k, code))) from vocab
                            where vocabulary = 'authority_type');
set variable v_channel = (select map_from_entries(list((k, code))) from vocab
                          where vocabulary = 'channel');
set variable v_member_form = (select map_from_entries(list((k, code))) from vocab
                              where vocabulary = 'member_discipline_form');
set variable v_org_form = (select map_from_entries(list((k, code))) from vocab
                           where vocabulary = 'org_discipline_form');
set variable v_form = (select map_from_entries(list((k, code))) from vocab
                       where vocabulary = 'discipline_form');
set variable v_category = (select map_from_entries(list((k, code))) from vocab
                           where vocabulary = 'violation_category');
set variable v_status = (select map_from_entries(list((k, code))) from vocab
                         where vocabulary = 'status');
set variable v_level = (select map_from_entries(list((k, code))) from vocab
                        where vocabulary = 'org_level');
set variable v_activity_type = (select map_from_entries(list((k, code))) from vocab
                                where vocabulary = 'activity_type');
set variable v_subject_kind = (select map_from_entries(list((k, code))) from vocab
                               where vocabulary = 'subject_kind');
set variable v_measure = (select map_from_entries(list((k, code))) from vocab
                          where vocabulary = 'measure');
set variable v_qualifier = (select map_from_entries(list((k, code))) from vocab
                            where vocabulary = 'value_qualifier');
set variable v_scope = (select map_from_entries(list((k, code))) from vocab
                        where vocabulary = 'scope');

create or replace macro codes(s, voc) as
    list_sort(list_distinct(list_transform(split_list(s), lambda x: voc[kyluat_fold(x)])));
create or replace macro all_known(s, voc) as
    len(list_filter(split_list(s), lambda x: voc[kyluat_fold(x)] is null)) = 0;
create or replace macro filter_codes(s, voc) as
    case when kyluat_fold(s) in ('all', 'tat ca') then ['all'] else codes(s, voc) end;
create or replace macro filter_known(s, voc) as
    kyluat_fold(s) in ('all', 'tat ca') or (len(split_list(s)) > 0 and all_known(s, voc));
create or replace macro admits(filter, value) as
    list_contains(filter, 'all') or list_contains(filter, value);

-- Organisation tree ------------------------------------------------------------------------
create or replace table org_units_typed as
select clean(unit_code) as unit_code, pdate(clean(valid_from)) as valid_from,
       clean(name) as name, getvariable('v_level')[kyluat_fold(level)] as level,
       clean(parent_code) as parent_code, pdate(clean(valid_to)) as valid_to,
       split_list(clean(successor_codes)) as successor_codes,
       filename, row_number() over () as ordinal,
       coalesce(clean(valid_from) is not null and pdate(clean(valid_from)) is null
           or clean(valid_to) is not null and pdate(clean(valid_to)) is null
           or pdate(clean(valid_from)) > current_date
           or pdate(clean(valid_to)) <= pdate(clean(valid_from))
           or clean(unit_code) is null or clean(valid_from) is null or clean(name) is null
           or getvariable('v_level')[kyluat_fold(level)] is null
           or is_formula(unit_code) or is_formula(name) or is_formula(parent_code), false)
           as bad
from read_csv(getvariable('landing') || '/org_units/*.csv', all_varchar = true,
              filename = true, header = true);

create or replace table units as
select unit_code, valid_from, coalesce(valid_to, getvariable('open_valid_to')) as valid_to, name, level,
       parent_code, successor_codes
from org_units_typed where not bad
qualify row_number() over (partition by unit_code, valid_from
                           order by filename desc, ordinal desc) = 1;

-- parents and successors must be known; a parent must be valid on the version's first day
create or replace table unit_problems as
select u.unit_code, u.valid_from
from units u
left join units p
    on p.unit_code = u.parent_code and u.valid_from >= p.valid_from and u.valid_from < p.valid_to
where u.parent_code is not null and p.unit_code is null
union
select u.unit_code, u.valid_from
from (select unit_code, valid_from, unnest(successor_codes) as successor from units) u
anti join (select distinct unit_code from units) k on k.unit_code = u.successor;

delete from units u using unit_problems p
where u.unit_code = p.unit_code and u.valid_from = p.valid_from;

create or replace table ancestry as
with recursive chain (unit_code, ancestor_code, distance, valid_from, valid_to) as (
    select unit_code, unit_code, 0, valid_from, valid_to from units
    union all
    select chain.unit_code, parent.parent_code, chain.distance + 1,
           greatest(chain.valid_from, parent.valid_from), least(chain.valid_to, parent.valid_to)
    from chain
    join units parent
        on chain.ancestor_code = parent.unit_code and parent.parent_code is not null
        and chain.valid_to > parent.valid_from and chain.valid_from < parent.valid_to
    where chain.distance < 12
)
select distinct * from chain;

-- Member decisions -------------------------------------------------------------------------
create or replace table md_raw as
select filename, row_number() over () as ordinal,
       clean(deciding_unit_code) as deciding_unit_code, clean(decision_ref) as decision_ref,
       clean(member_id) as member_id, clean(authority_type) as authority_type,
       clean(discipline_form) as discipline_form, clean(decision_date) as decision_date,
       clean(member_unit_code) as member_unit_code,
       clean(violation_categories) as violation_categories, clean(channel) as channel,
       clean(is_committee_member) as is_committee_member,
       clean(is_probationary) as is_probationary, clean(activity_ref) as activity_ref,
       clean(status) as status, clean(violation_date) as violation_date
from read_csv(getvariable('landing') || '/member_disciplines/*.csv', all_varchar = true,
              filename = true, header = true, union_by_name = true);

create or replace table md_checked as
with typed as (
    select *,
           getvariable('v_authority')[kyluat_fold(authority_type)] as authority_code,
           getvariable('v_member_form')[kyluat_fold(discipline_form)] as form_code,
           getvariable('v_channel')[kyluat_fold(channel)] as channel_code,
           coalesce(getvariable('v_status')[kyluat_fold(status)],
                    case when status is null then getvariable('default_status') end) as status_code,
           pdate(decision_date) as decided_on, pdate(violation_date) as violated_on,
           to_bool(is_committee_member) as committee, to_bool(is_probationary) as probationary
    from md_raw
)
select t.*, member_key(t.member_id) as member_key,
       codes(t.violation_categories, getvariable('v_category')) as categories,
       not (
           t.deciding_unit_code is null or t.decision_ref is null or t.member_id is null
           or t.authority_code is null or t.form_code is null or t.channel_code is null
           or t.status_code is null or t.decided_on is null or t.decided_on > current_date
           or (t.violation_date is not null and (t.violated_on is null
                                                  or t.violated_on > t.decided_on))
           or t.violation_categories is null or len(split_list(t.violation_categories)) = 0
           or not all_known(t.violation_categories, getvariable('v_category'))
           or not is_bool(t.is_committee_member) or not is_bool(t.is_probationary)
           or (t.probationary
               and not list_contains(getvariable('forms_for_probationary'), t.form_code))
           or (list_contains(getvariable('forms_needing_post'), t.form_code) and not t.committee)
           or is_formula(t.deciding_unit_code) or is_formula(t.decision_ref)
           or is_formula(t.member_id) or is_formula(t.member_unit_code)
           or is_formula(t.activity_ref)
           or d.unit_code is null or m.unit_code is null
       ) as ok
from typed t
left join units d on d.unit_code = t.deciding_unit_code
    and t.decided_on >= d.valid_from and t.decided_on < d.valid_to
left join units m on m.unit_code = t.member_unit_code
    and t.decided_on >= m.valid_from and t.decided_on < m.valid_to;

create or replace table fct_member_discipline as
select c.deciding_unit_code, c.decision_ref, c.member_key, c.authority_code as authority_type,
       c.form_code as discipline_form, c.decided_on as decision_date,
       year(c.decided_on) as decision_year, c.channel_code as channel, c.member_unit_code,
       c.committee as is_committee_member, c.probationary as is_probationary,
       c.status_code as status, c.status_code <> 'revoked' as counts_in_totals,
       c.categories as violation_categories, c.activity_ref
from md_checked c
where c.ok
  -- a second row with the same key in the same file is a duplicate, not a revision
  and not exists (select 1 from md_checked e
                  where e.ok and e.filename = c.filename and e.ordinal < c.ordinal
                    and e.deciding_unit_code = c.deciding_unit_code
                    and e.decision_ref = c.decision_ref and e.member_key = c.member_key)
qualify row_number() over (partition by c.deciding_unit_code, c.decision_ref, c.member_key
                           order by c.filename desc, c.ordinal desc) = 1;

-- Organisation decisions (NDJSON) ------------------------------------------------------------
create or replace table fct_org_discipline as
with raw as (
    select filename, row_number() over () as ordinal, *
    from read_json(getvariable('landing') || '/org_disciplines/*.ndjson',
                   format = 'newline_delimited', filename = true,
                   columns = {deciding_unit_code: 'VARCHAR', decision_ref: 'VARCHAR',
                              target_unit_code: 'VARCHAR', authority_type: 'VARCHAR',
                              discipline_form: 'VARCHAR', decision_date: 'VARCHAR',
                              violation_categories: 'VARCHAR', channel: 'VARCHAR',
                              activity_ref: 'VARCHAR', status: 'VARCHAR'})
), typed as (
    select clean(deciding_unit_code) as deciding_unit_code, clean(decision_ref) as decision_ref,
           clean(target_unit_code) as target_unit_code,
           getvariable('v_authority')[kyluat_fold(authority_type)] as authority_type,
           getvariable('v_org_form')[kyluat_fold(discipline_form)] as discipline_form,
           pdate(clean(decision_date)) as decision_date,
           codes(violation_categories, getvariable('v_category')) as violation_categories,
           all_known(violation_categories, getvariable('v_category')) as categories_ok,
           getvariable('v_channel')[kyluat_fold(channel)] as channel, clean(activity_ref) as activity_ref,
           coalesce(getvariable('v_status')[kyluat_fold(status)],
                    case when clean(status) is null then getvariable('default_status') end) as status,
           filename, ordinal
    from raw
)
select t.* exclude (categories_ok, filename, ordinal), year(t.decision_date) as decision_year,
       t.status <> 'revoked' as counts_in_totals
from typed t
join units d on d.unit_code = t.deciding_unit_code
    and t.decision_date >= d.valid_from and t.decision_date < d.valid_to
join units g on g.unit_code = t.target_unit_code
    and t.decision_date >= g.valid_from and t.decision_date < g.valid_to
where t.deciding_unit_code is not null and t.decision_ref is not null
  and t.authority_type is not null and t.discipline_form is not null
  and t.decision_date <= current_date and t.channel is not null and t.status is not null
  and t.categories_ok and len(t.violation_categories) > 0
qualify row_number() over (partition by t.deciding_unit_code, t.decision_ref, t.target_unit_code
                           order by t.filename desc, t.ordinal desc) = 1;

-- Activities -------------------------------------------------------------------------------
create or replace table fct_activity as
with raw as (
    select filename, row_number() over () as ordinal,
           clean(conducting_unit_code) as conducting_unit_code,
           clean(activity_ref) as activity_ref, clean(authority_type) as authority_type,
           clean(activity_type) as activity_type, clean(subject_kind) as subject_kind,
           clean(subject_unit_code) as subject_unit_code, clean(start_date) as start_date,
           clean(end_date) as end_date, clean(subject_member_id) as subject_member_id,
           clean(conclusion_ref) as conclusion_ref, clean(violation_found) as violation_found,
           clean(members_in_violation) as members_in_violation,
           clean(orgs_in_violation) as orgs_in_violation,
           clean(members_discipline_required) as members_discipline_required,
           clean(orgs_discipline_required) as orgs_discipline_required
    from read_csv(getvariable('landing') || '/activities/*.csv', all_varchar = true,
                  filename = true, header = true, union_by_name = true)
), typed as (
    select *,
           getvariable('v_authority')[kyluat_fold(authority_type)] as authority_code,
           getvariable('v_activity_type')[kyluat_fold(activity_type)] as type_code,
           getvariable('v_subject_kind')[kyluat_fold(subject_kind)] as kind_code,
           pdate(start_date) as started_on, pdate(end_date) as ended_on
    from raw
)
select t.conducting_unit_code, t.activity_ref, t.authority_code as authority_type,
       t.type_code as activity_type, t.kind_code as subject_kind, t.subject_unit_code,
       case when t.subject_member_id is not null then member_key(t.subject_member_id) end
           as subject_member_key,
       t.started_on as start_date, t.ended_on as end_date, t.conclusion_ref,
       to_bool(t.violation_found) as violation_found,
       t.members_in_violation::bigint as members_in_violation,
       t.orgs_in_violation::bigint as orgs_in_violation,
       t.members_discipline_required::bigint as members_discipline_required,
       t.orgs_discipline_required::bigint as orgs_discipline_required
from typed t
join units c on c.unit_code = t.conducting_unit_code
    and t.started_on >= c.valid_from and t.started_on < c.valid_to
join units s on s.unit_code = t.subject_unit_code
    and t.started_on >= s.valid_from and t.started_on < s.valid_to
where t.conducting_unit_code is not null and t.activity_ref is not null
  and t.authority_code is not null and t.type_code is not null and t.kind_code is not null
  and t.started_on is not null and t.started_on <= current_date
  and (t.end_date is null or (t.ended_on is not null and t.ended_on >= t.started_on))
  and is_bool(t.violation_found)
  and is_count(t.members_in_violation) and is_count(t.orgs_in_violation)
  and is_count(t.members_discipline_required) and is_count(t.orgs_discipline_required)
  and not (is_formula(t.activity_ref) or is_formula(t.conclusion_ref)
           or is_formula(t.subject_member_id))
qualify row_number() over (partition by t.conducting_unit_code, t.activity_ref
                           order by t.filename desc, t.ordinal desc) = 1;

-- Memberships and governance indicators (validated and kept; no headline depends on them) ----
create or replace table memberships as
select clean(unit_code) as unit_code, pdate(clean(as_of_date)) as as_of_date,
       members::bigint as members, party_organizations::bigint as party_organizations
from read_csv(getvariable('landing') || '/memberships/*.csv', all_varchar = true,
              filename = true, header = true) r
semi join units u on u.unit_code = clean(r.unit_code)
    and pdate(clean(r.as_of_date)) >= u.valid_from and pdate(clean(r.as_of_date)) < u.valid_to
where is_count(members) and is_count(party_organizations)
  and pdate(clean(as_of_date)) <= current_date
qualify row_number() over (partition by clean(unit_code), pdate(clean(as_of_date))
                           order by filename desc) = 1;

create or replace table governance_indicators as
select unit_code, year::integer as year, upper(indicator) as indicator, rank::bigint as rank,
       score::double as score, source_ref
from read_json(getvariable('landing') || '/governance_indicators/*.json', format = 'array',
               columns = {unit_code: 'VARCHAR', year: 'VARCHAR', indicator: 'VARCHAR',
                          rank: 'VARCHAR', score: 'VARCHAR', source_ref: 'VARCHAR'}) g
semi join units u on u.unit_code = g.unit_code
where regexp_full_match(year, '[0-9]{4}') and year::integer <= year(current_date)
  and regexp_full_match(upper(indicator), '[A-Z][A-Z0-9_]*') and is_count(rank);

-- Aggregate reports ------------------------------------------------------------------------
create or replace table reports as
with raw as (
    select filename, row_number() over () as ordinal, *
    from read_csv(getvariable('landing') || '/aggregate_reports/*.csv', all_varchar = true,
                  filename = true, header = true)
), typed as (
    select clean(reporting_unit_code) as reporting_unit_code,
           pdate(clean(period_start)) as period_start, pdate(clean(period_end)) as period_end,
           getvariable('v_measure')[kyluat_fold(measure)] as measure,
           getvariable('v_subject_kind')[kyluat_fold(subject_kind)] as subject_kind,
           filter_codes(authority_type, getvariable('v_authority')) as authority_type,
           filter_codes(discipline_form, getvariable('v_form')) as discipline_form,
           filter_codes(violation_category, getvariable('v_category')) as violation_category,
           filter_codes(channel, getvariable('v_channel')) as channel,
           clean(source_ref) as source_ref, value::bigint as value,
           coalesce(getvariable('v_qualifier')[kyluat_fold(value_qualifier)],
                    getvariable('default_value_qualifier'))
               as value_qualifier,
           coalesce(getvariable('v_scope')[kyluat_fold(scope)], getvariable('default_scope')) as scope,
           pdate(clean(as_of_date)) as as_of_date,
           filter_known(authority_type, getvariable('v_authority'))
           and filter_known(discipline_form, getvariable('v_form'))
           and filter_known(violation_category, getvariable('v_category'))
           and filter_known(channel, getvariable('v_channel')) and is_count(value) as ok,
           filename, ordinal
    from raw
)
select t.* exclude (ok)
from typed t
semi join units u on u.unit_code = t.reporting_unit_code
    and t.period_end >= u.valid_from and t.period_end < u.valid_to
where t.ok and t.measure is not null and t.subject_kind is not null and t.source_ref is not null
  and t.period_start <= t.period_end and t.period_end <= current_date;

-- Headline marts ---------------------------------------------------------------------------
-- Decisions (members and organisations) under every unit, on the tree as it was.
create or replace table decision_scopes as
with decisions as (
    select 'member' as subject_kind, deciding_unit_code, authority_type, discipline_form,
           decision_date, channel, violation_categories
    from fct_member_discipline where counts_in_totals
    union all
    select 'organization', deciding_unit_code, authority_type, discipline_form,
           decision_date, channel, violation_categories
    from fct_org_discipline where counts_in_totals
)
select a.ancestor_code as scope_unit_code, a.distance as scope_distance, d.*
from decisions d
join ancestry a on a.unit_code = d.deciding_unit_code
    and d.decision_date >= a.valid_from and d.decision_date < a.valid_to;

create or replace table members_by_unit_year as
select scope_unit_code as unit_code, year(decision_date) as decision_year,
       count(*) as members_disciplined
from decision_scopes where subject_kind = 'member'
group by all;

-- Funnel steps of activities under the units that report figures, by day.
create or replace table activity_steps as
select a.ancestor_code as scope_unit_code, a.distance = 0 as own, f.start_date,
       f.authority_type, t.channel,
       sum((f.subject_kind = 'member')::int) as members_inspected,
       sum((f.subject_kind = 'organization')::int) as orgs_inspected,
       sum(coalesce(f.members_in_violation,
                    (f.subject_kind = 'member' and f.violation_found)::int)) as members_in_violation,
       sum(coalesce(f.orgs_in_violation,
                    (f.subject_kind = 'organization' and f.violation_found)::int))
           as orgs_in_violation,
       sum(coalesce(f.members_discipline_required, 0)) as members_discipline_required,
       sum(coalesce(f.orgs_discipline_required, 0)) as orgs_discipline_required
from fct_activity f
join ancestry a on a.unit_code = f.conducting_unit_code
    and f.start_date >= a.valid_from and f.start_date < a.valid_to
    and a.ancestor_code in (select reporting_unit_code from reports)
join read_csv(getvariable('seeds') || '/vocab_activity_type.csv', all_varchar = true) t
    on t.code = f.activity_type
group by all;

create or replace table reconciliation as
with figures as (
    select row_number() over () as figure_key, * from reports
), disciplined as (
    select f.figure_key, count(*) as computed_value
    from figures f
    join decision_scopes d
        on d.scope_unit_code = f.reporting_unit_code and d.subject_kind = f.subject_kind
        and d.decision_date between f.period_start and f.period_end
        and (f.scope = 'unit_and_below' or d.scope_distance = 0)
        and admits(f.authority_type, d.authority_type)
        and admits(f.discipline_form, d.discipline_form)
        and admits(f.channel, d.channel)
        and (list_contains(f.violation_category, 'all')
             or list_has_any(f.violation_category, d.violation_categories))
    where f.measure = 'disciplined'
    group by f.figure_key
), funnel as (
    select f.figure_key, sum(case
        when f.measure = 'inspected' and f.subject_kind = 'member' then s.members_inspected
        when f.measure = 'inspected' then s.orgs_inspected
        when f.measure = 'violation_found' and f.subject_kind = 'member'
            then s.members_in_violation
        when f.measure = 'violation_found' then s.orgs_in_violation
        when f.subject_kind = 'member' then s.members_discipline_required
        else s.orgs_discipline_required end) as computed_value
    from figures f
    join activity_steps s
        on s.scope_unit_code = f.reporting_unit_code
        and s.start_date between f.period_start and f.period_end
        and (f.scope = 'unit_and_below' or s.own)
        and admits(f.authority_type, s.authority_type) and admits(f.channel, s.channel)
    where f.measure <> 'disciplined'
    group by f.figure_key
)
select f.source_ref, f.reporting_unit_code, f.period_start, f.period_end, f.measure,
       f.subject_kind, array_to_string(f.authority_type, ';') as authority_type,
       array_to_string(f.discipline_form, ';') as discipline_form,
       array_to_string(f.violation_category, ';') as violation_category,
       array_to_string(f.channel, ';') as channel, f.as_of_date, f.value as published_value,
       f.value_qualifier,
       case when f.measure <> 'disciplined'
                 and not (list_contains(f.discipline_form, 'all')
                          and list_contains(f.violation_category, 'all')) then null
            else coalesce(d.computed_value, u.computed_value, 0) end as computed_value
from figures f
left join disciplined d using (figure_key)
left join funnel u using (figure_key);
