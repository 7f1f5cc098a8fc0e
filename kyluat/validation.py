"""Contract checks (CONTRACT §2, §4, §5) as one SQL statement over whole files.

Input: temp table `src` (`_file_id`, `_row_number` and one VARCHAR column per contract column),
temp table `known_units` (unit_code, valid_from, valid_to, successor_codes) and temp table
`unit_versions` (the same, one row per unit: see `UNIT_VERSIONS_SQL`). Output: temp table `checked`
with the typed, normalised columns as stored in `raw`, `_errors` (the reasons of a failing
row, each of REASON_TYPE: its rule code, column, the full reason a clerk can act on and the
public one), `_retryable` (false for in-file duplicates and formula-like member ids, which no later
run can fix) and `_raw` (for failing rows, the submitted values as JSON, member ids already
replaced by their keys; null for rows that pass).
"""

from __future__ import annotations

import duckdb

from kyluat.contract import Column, ColumnType, Kind
from kyluat.limits import max_cell_chars
from kyluat.pseudonym import Keys, member_key_sql, normalize_member_id_sql
from kyluat.rules import public_reason

T = ColumnType

# The versions of each known unit, one row per unit: made once for all the checks against the
# same units (grouping a national tree for every check cost more than checking a small file).
UNIT_VERSIONS_SQL = """
    create or replace temp table unit_versions as
    select unit_code, list(struct_pack(valid_from := valid_from, valid_to := valid_to))
        as versions,
        -- a unit with no open version was closed on its last day; who took over from it
        case when count(valid_to) = count(*) then max(valid_to) end as closed_on,
        arg_max(coalesce(successor_codes, []), valid_to) as successors
    from known_units group by unit_code
"""

SQL_TYPES = {
    T.TEXT: "varchar", T.UNIT: "varchar", T.UNIT_LIST: "varchar[]", T.DATE: "date",
    T.BOOL: "boolean", T.COUNT: "bigint", T.NUMBER: "double", T.YEAR: "integer",
    T.CODE: "varchar", T.VOCAB: "varchar", T.VOCAB_LIST: "varchar[]", T.MEMBER_ID: "varchar",
}

# Folded yes/no words (kyluat_fold).
TRUE_WORDS = "('true', '1', 'yes', 'y', 'co', 't', 'x')"
FALSE_WORDS = "('false', '0', 'no', 'n', 'khong', 'f')"


def _q(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


# One reason of a failing row: the rule's code and column, the full reason (it may quote the
# submitted value: for the operator) and the public one (never quoting it: for analysts).
REASON_TYPE = "struct(rule varchar, column_name varchar, reason varchar, public_reason varchar)"


def reason_sql(rule: str, column: str | None, message: str) -> str:
    """A reason of REASON_TYPE; `message` is SQL."""
    return (f"struct_pack(rule := {_q(rule)}, column_name := "
            f"{_q(column) if column else 'null::varchar'}, reason := {message}, "
            f"public_reason := {_q(public_reason(rule, column))})")


def _shown(col: str) -> str:
    """The submitted value quoted for a message."""
    return f"'''' || {col} || ''''"


def _msg(*parts: str) -> str:
    return " || ".join(parts)


def _split(v: str) -> str:
    """A `;`-separated value as a list of trimmed, non-empty items."""
    return (f"list_filter(list_transform(string_split({v}, ';'), lambda x: trim(x)), "
            "lambda x: x <> '')")


def parse_date_sql(v: str) -> str:
    """The date a submitted value `v` (SQL, trimmed) means, or null: the one date parser.
    The year has four digits: strptime would read 15/03/23 as the year 23."""
    return (f"case when regexp_full_match({v}, '[0-9]{{4}}-.*|.*/[0-9]{{4}}') then "
            f"coalesce(try_strptime({v}, '%Y-%m-%d'), try_strptime({v}, '%d/%m/%Y'), "
            f"try_strptime({v}, '%Y-%m-%d %H:%M:%S'))::date end")


# Columns whose rules and typed value depend on the submitted value alone, and which take few
# distinct values (dates, flags, counts, codes, vocabulary terms): each is normalised and
# checked once per distinct value, in a lookup joined to the rows. (Folding, parsing and
# matching every row's value again were most of the cost of a check.)
_PER_VALUE = {T.DATE, T.BOOL, T.COUNT, T.YEAR, T.NUMBER, T.CODE, T.VOCAB, T.VOCAB_LIST}


# A NUL byte in a value would cut the value short at normalisation (nfc_normalize stops at it):
# it becomes U+FFFD, the mark of a damaged character, and the row is rejected (damaged_value).
DAMAGED = "\ufffd"


def normalized_sql(v: str) -> str:
    """The value NFC-normalised, trimmed of spaces (DuckDB's trim: the Unicode space
    separators), NUL marked damaged, empty as null. Most values are ASCII, whose NFC form is
    themselves and whose only space separator is ' ': they skip normalising, and trimming
    when they neither start nor end with a space, which made the cleaning of a value three
    times cheaper (a fifth of the checks of an activities file)."""
    text = f"{v}::varchar"
    marked = f"case when contains({text}, chr(0)) then replace({text}, chr(0), '{DAMAGED}') " \
             f"else {text} end"
    return (f"nullif(case when strlen({text}) <> length({text}) then trim(nfc_normalize({marked})) "
            f"when prefix({text}, ' ') or suffix({text}, ' ') then trim({marked}) "
            f"else {marked} end, '')")


class _Builder:
    def __init__(self, kind: Kind, key: Keys, prehashed: bool):
        self.kind = kind
        self.key = key
        self.prehashed = prehashed
        self.typed: list[str] = []
        # (column checked once per value, or None for rules evaluated on each row, condition,
        # message), in the order of the reasons
        self.rules: list[tuple[str | None, str, str]] = []
        # per-value helpers of each per-value column: {column: {alias: expression}}
        self.helpers: dict[str, dict[str, str]] = {}
        self._scope: str | None = None

    def error(self, condition: str, message: str, rule: str, column: str | None) -> None:
        """A rule: `message` (SQL) is the full reason, `rule` its code in kyluat/rules.py."""
        self.rules.append((self._scope, condition, reason_sql(rule, column, message)))

    def date_of(self, name: str) -> str:
        """The parsed value of date column `name` (parsed once per distinct value)."""
        assert self.kind.column(name).type is T.DATE
        self.helpers.setdefault(name, {}).setdefault(f"_d_{name}", parse_date_sql(f"n.{name}"))
        return f"n._d_{name}"

    def fold_of(self, name: str) -> str:
        """The folded value of column `name` (folded once per distinct value)."""
        assert self.kind.column(name).type in _PER_VALUE
        self.helpers.setdefault(name, {}).setdefault(f"_f_{name}", f"kyluat_fold(n.{name})")
        return f"n._f_{name}"

    def column(self, c: Column) -> None:
        v = f"n.{c.name}"
        label = _q(c.name + " ")
        if c.type is T.PERSONAL_NAME:
            return
        if c.type is T.MEMBER_ID:
            self._member_id(c)
            return
        self._scope = c.name if c.type in _PER_VALUE else None
        if self._scope:
            self.helpers.setdefault(c.name, {})
        if c.required:
            self.error(f"{v} is null", _q(f"missing {c.name} (required)"), "missing_value",
                       c.name)
        self.error(f"length({v}) > {max_cell_chars()}",
                   _msg(label, _q("is "), f"length({v})::varchar",
                        _q(f" characters long; a cell holds at most {max_cell_chars()}")),
                   "cell_too_long", c.name)
        self.error(f"contains({v}, '{DAMAGED}')",
                   _q(f"{c.name} holds a NUL byte or an unreadable character: the file is "
                      "damaged there; send the row again"), "damaged_value", c.name)
        if c.type in (T.TEXT, T.UNIT, T.UNIT_LIST, T.CODE):
            self.error(f"regexp_matches({v}, '^[=+\\-@]')",
                       _msg(label, _shown(v), _q(" looks like a spreadsheet formula; "
                                                  "remove the leading character")),
                       "formula", c.name)
        getattr(self, "_" + c.type.value)(c, v, label)
        self._scope = None

    def value(self, name: str, expr: str) -> None:
        """The typed value of column `name` (of a per-value column, computed in its lookup)."""
        if self._scope:
            self.helpers[self._scope][f"_t_{name}"] = expr
            expr = f"n._t_{name}"
        self.typed.append(f"{expr} as {name}")

    def _text(self, c, v, label):
        self.value(c.name, v)

    def _member_id(self, c):
        # The id never leaves the `hashed` stage: only its key and a formula flag do.
        v = f"n.{c.name}"
        digest = member_key_sql(normalize_member_id_sql(v), self.key)
        self.member_key_exprs[c.stored_name] = (
            f"n.{c.stored_name}" if self.prehashed
            else f"case when {v} is not null then {digest} end")
        self.member_key_exprs[c.name + "_is_formula"] = (
            f"coalesce(regexp_matches({v}, '^[=+\\-@]'), false)")
        self.member_key_exprs[c.name + "_is_damaged"] = (
            f"coalesce(contains({v}, '{DAMAGED}'), false)")
        key = f"n.{c.stored_name}"
        self.value(c.stored_name, key)
        if c.required:
            self.error(f"{key} is null", _q(f"missing {c.name} (required)"), "missing_value",
                       c.name)
        self.error(f"n.{c.name}_is_formula",
                   _q(f"{c.name} looks like a spreadsheet formula; remove the leading character"),
                   "formula", c.name)
        self.error(f"n.{c.name}_is_damaged",
                   _q(f"{c.name} holds a NUL byte or an unreadable character: the file is "
                      "damaged there; send the row again"), "damaged_value", c.name)

    def _code(self, c, v, label):
        self.value(c.name, f"upper({v})")
        self.error(f"{v} is not null and not regexp_full_match(upper({v}), '[A-Z][A-Z0-9_]*')",
                   _msg(label, _shown(v), _q(" is not an upper-case code such as PAR_INDEX")),
                   "not_a_code", c.name)

    def _date(self, c, v, label):
        parsed = self.date_of(c.name)
        self.value(c.name, parsed)
        self.error(f"{v} is not null and {parsed} is null",
                   _msg(label, _shown(v), _q(" is not a date; write YYYY-MM-DD or DD/MM/YYYY")),
                   "not_a_date", c.name)
        if not c.future_ok:
            self.error(f"{parsed} > current_date",
                       _msg(label, f"strftime({parsed}, '%Y-%m-%d')", _q(" is in the future")),
                       "in_future", c.name)

    def _bool(self, c, v, label):
        folded = self.fold_of(c.name)
        self.value(c.name, f"coalesce({folded} in {TRUE_WORDS}, false)")
        self.error(f"{v} is not null and {folded} not in {TRUE_WORDS} "
                   f"and {folded} not in {FALSE_WORDS}",
                   _msg(label, _shown(v), _q(" is not a yes/no value; write có or không")),
                   "not_yes_no", c.name)

    def _count(self, c, v, label):
        # 12.0 (a spreadsheet's float) is 12, but 1.000 is a thousand written the Vietnamese
        # way, so a point followed by three digits is not read as a decimal point.
        self.value(c.name, f"try_cast(split_part({v}, '.', 1) as bigint)")
        self.error(f"{v} is not null and not regexp_full_match({v}, '-?[0-9]+(\\.0{{1,2}})?')",
                   _msg(label, _shown(v), _q(" is not a whole number; write digits only, "
                                             "without thousands separators")),
                   "not_whole_number", c.name)
        self.error(f"regexp_full_match({v}, '-[0-9]+(\\.0{{1,2}})?') "
                   f"and try_cast(split_part({v}, '.', 1) as bigint) <> 0",
                   _msg(label, v, _q(" is negative; counts cannot be")), "negative_count", c.name)
        # Digits past BIGINT would be read as NULL: the value is rejected, never lost.
        self.error(f"regexp_full_match({v}, '-?[0-9]+(\\.0{{1,2}})?') "
                   f"and try_cast(split_part({v}, '.', 1) as bigint) is null",
                   _msg(label, _shown(v), _q(" is too large for a count")), "out_of_range",
                   c.name)

    def _year(self, c, v, label):
        self.value(c.name, f"try_cast({v} as integer)")
        self.error(f"{v} is not null and not regexp_full_match({v}, '[0-9]{{4}}')",
                   _msg(label, _shown(v), _q(" is not a four-digit year")), "not_a_year",
                   c.name)
        self.error(f"try_cast({v} as integer) > year(current_date)",
                   _msg(label, v, _q(" is in the future")), "in_future", c.name)

    def _number(self, c, v, label):
        # a decimal comma (81,28) is read as a decimal point
        value = (f"try_cast(case when {v} like '%,%' and {v} not like '%.%' "
                 f"then replace({v}, ',', '.') else {v} end as double)")
        self.value(c.name, value)
        self.error(f"{v} is not null and {value} is null",
                   _msg(label, _shown(v), _q(" is not a number")), "not_a_number",
                   c.name)

    def _vocab_map(self, c) -> str:
        # Vocabularies come as variables (set by check_src), constants to the planner: as
        # joined relations they made the join-order search the largest cost of a small file.
        return f"getvariable('kyluat_vocab_{c.vocabulary}')"

    def _expected(self, c) -> str:
        # Only the submitted value varies by row: what is expected is a variable (a correlated
        # subquery cost a join over every row and column).
        tail = f" {chr(124) * 2} {_q(' (or all)')}" if c.allow_all else ""
        return (f"{_q(c.name + ' ')} || '''' || {{value}} || '''' || ' is not ' || "
                f"getvariable('kyluat_expect_{c.vocabulary}'){tail}")

    def _vocab(self, c, v, label):
        self.vocabularies.add(c.vocabulary)
        lookup = f"{self._vocab_map(c)}[{self.fold_of(c.name)}]"
        if c.default:
            default = f"case when {v} is null then {_q(c.default)} end"
            self.value(c.name, f"coalesce({lookup}, {default})")
        else:
            self.value(c.name, lookup)
        self.error(f"{v} is not null and {lookup} is null", self._expected(c).format(value=v),
                   "unknown_term", c.name)

    def _vocab_list(self, c, v, label):
        self.vocabularies.add(c.vocabulary)
        items = _split(v)
        code_of = f"{self._vocab_map(c)}[kyluat_fold(x)]"
        codes = f"list_sort(list_distinct(list_transform({items}, lambda x: {code_of})))"
        unknown = f"list_filter({items}, lambda x: {code_of} is null)"
        if c.allow_all:
            is_all = f"{self.fold_of(c.name)} in ('all', 'tat ca')"
            codes = f"case when {is_all} then ['all'] else {codes} end"
            unknown = f"case when {is_all} then [] else {unknown} end"
        self.value(c.name, codes)
        self.error(f"{v} is not null and len({unknown}) > 0",
                   self._expected(c).format(value=f"array_to_string({unknown}, ';')"),
                   "unknown_term", c.name)
        if c.required:
            self.error(f"{v} is not null and len({items}) = 0", _q(f"missing {c.name} (required)"),
                       "missing_value", c.name)

    def _unit(self, c, v, label):
        self.value(c.name, v)
        # One hash join per unit column with the versions of each known unit. (Correlated
        # EXISTS subqueries become several joins that carry every column of every row.)
        alias = f"units_{c.name}"
        self.unit_joins.append(f" left join unit_versions {alias} on {alias}.unit_code = {v}")
        known = f"{alias}.unit_code is not null"
        self.error(f"{v} is not null and not {known}",
                   _msg(label, _shown(v),
                        _q(" is not a known unit; its org_units row must be sent first")),
                   "unknown_unit", c.name)
        if c.date_column:
            d = self.date_of(c.date_column)
            valid = (f"list_bool_or(list_transform({alias}.versions, lambda u: "
                     f"u.valid_from <= {d} and (u.valid_to is null or {d} < u.valid_to)))")
            # a unit closed before the date: name the units that took over from it
            after_closing = f"{d} >= {alias}.closed_on and len({alias}.successors) > 0"
            closed = _msg(
                label, _shown(v), _q(" was closed on "),
                f"strftime({alias}.closed_on, '%Y-%m-%d')",
                f"case when len({alias}.successors) = 1 then {_q('; its successor is ')} "
                f"else {_q('; its successors are ')} end",
                _shown(f"array_to_string({alias}.successors, {_q(chr(39) + ', ' + chr(39))})"))
            not_yet = _msg(label, _shown(v), _q(f" is not valid on {c.date_column} "),
                           f"strftime({d}, '%Y-%m-%d')", _q(" (the unit did not exist then)"))
            self.error(
                f"{v} is not null and {d} is not null and {known} and not {valid}",
                f"case when {after_closing} then {closed} else {not_yet} end",
                "unit_not_valid_on_date", c.name)

    def _unit_list(self, c, v, label):
        items = _split(v)
        self.value(c.name, items)
        # The unknown codes of each distinct value, by an anti-join with known_units. (Testing
        # each code against a list of every known unit copies that list into every row:
        # quadratic in the size of the tree, hours for a national org_units file.)
        cte = f"unknown_{c.name}"
        self.unit_list_ctes.append(
            f", {cte} as (select value, list(item order by pos) as codes "
            f"from (select n.{c.name} as value, unnest({items}) as item, "
            f"generate_subscripts({items}, 1) as pos "
            f"from (select distinct {normalized_sql(f'src.{c.name}')} as {c.name} from src) n) s "
            f"where not exists (select 1 from known_units u where u.unit_code = s.item) "
            f"group by value)")
        self.unit_joins.append(f" left join {cte} on {cte}.value = {v}")
        unknown = f"{cte}.codes"
        self.error(f"{v} is not null and len({unknown}) > 0",
                   _msg(label, _q("names unknown units: "), f"array_to_string({unknown}, ', ')"),
                   "unknown_unit", c.name)
        if c.not_self:
            own = f"n.{c.not_self}"
            self.error(f"list_contains({items}, {own})",
                       _msg(label, _q("names the unit itself ("), _shown(own),
                            _q("); list the units that took over from it")),
                       "successor_is_itself", c.name)

    def build(self) -> str:
        self.vocabularies: set[str] = set()
        self.member_key_exprs: dict[str, str] = {}
        self.unit_list_ctes: list[str] = []
        self.unit_joins: list[str] = []
        for c in self.kind.columns:
            self.column(c)
        for order in self.kind.date_orders:
            earlier, later = self.date_of(order.earlier), self.date_of(order.later)
            op = "<=" if order.strict else "<"
            self.error(f"{later} {op} {earlier}",
                       _msg(_q(f"{order.later} "), f"strftime({later}, '%Y-%m-%d')",
                            _q(f" is {'not after' if order.strict else 'before'} {order.earlier} "),
                            f"strftime({earlier}, '%Y-%m-%d')"),
                       "dates_out_of_order", order.later)
        if self.kind.member_form_rules:
            self._member_form_rules()
        return self._query()

    def _member_form_rules(self):
        # Which forms are allowed comes from the seed (`reference.MemberForms`), as variables
        # set by `reference.load_vocabularies`.
        self.vocabularies.add("member_discipline_form")
        form = (f"getvariable('kyluat_vocab_member_discipline_form')"
                f"[{self.fold_of('discipline_form')}]")
        probationary = f"coalesce({self.fold_of('is_probationary')} in {TRUE_WORDS}, false)"
        committee = f"coalesce({self.fold_of('is_committee_member')} in {TRUE_WORDS}, false)"
        self.error(f"{probationary} and not list_contains("
                   f"getvariable('kyluat_forms_for_probationary'), {form})",
                   _msg(_q("discipline_form "), _shown("n.discipline_form"),
                        _q(" is not allowed for a probationary member; expected "),
                        "getvariable('kyluat_forms_for_probationary_text')"),
                   "form_not_for_probationary", "discipline_form")
        self.error(f"list_contains(getvariable('kyluat_forms_needing_post'), {form}) "
                   f"and not {probationary} and not {committee}",
                   _msg(_q("discipline_form "), f"getvariable('kyluat_post_form_text')[{form}]",
                        _q(" needs a post, but is_committee_member is not true")),
                   "removal_needs_post", "discipline_form")

    def _lookups(self) -> list[str]:
        """One CTE per per-value column: each distinct submitted value (null included) with
        its normalised value, helpers, typed value and reasons (`_e_<column>`)."""
        ctes = []
        for name, helpers in self.helpers.items():
            reasons = [f"case when {cond} then {message} end"
                       for scope, cond, message in self.rules if scope == name]
            reasons_list = (f"list_filter([{', '.join(reasons)}], lambda e: e is not null)"
                            if reasons else f"[]::{REASON_TYPE}[]")
            first = {a: e for a, e in helpers.items() if not a.startswith("_t_")}
            typed = {a: e for a, e in helpers.items() if a.startswith("_t_")}
            ctes.append(
                f"lookup_{name} as (select n.*"
                + "".join(f", {e} as {a}" for a, e in typed.items())
                + f", {reasons_list} as _e_{name} from (select n.*"
                + "".join(f", {e} as {a}" for a, e in first.items())
                + f" from (select _value, {normalized_sql('_value')} as {name} "
                f"from (select distinct src.{name}::varchar as _value from src)) n) n)")
        return ctes

    def _lookup_join(self, name: str) -> str:
        return (f" left join lookup_{name} on lookup_{name}._value "
                f"is not distinct from src.{name}::varchar")

    def _keys(self) -> tuple[str, list[str]]:
        """The business key (and vintage) of each row as compared for duplicates, and the
        lookups it needs. A member key compares as the normalised id it is the HMAC of."""
        kind = self.kind
        exprs, joins = [], []
        identity = kind.key_columns + ([kind.column(kind.vintage_column)]
                                       if kind.vintage_column else [])
        for c in identity:
            if c.type in _PER_VALUE:
                exprs.append(f"lookup_{c.name}._t_{c.name} as {c.stored_name}")
                joins.append(self._lookup_join(c.name))
            elif c.type is T.MEMBER_ID:
                key = (f"src.{c.stored_name}" if self.prehashed
                       else normalize_member_id_sql(normalized_sql(f"src.{c.name}")))
                exprs.append(f"{key} as {c.stored_name}")
            elif c.type in (T.TEXT, T.UNIT):
                exprs.append(f"{normalized_sql(f'src.{c.name}')} as {c.stored_name}")
            else:
                raise ValueError(f"{kind.name}.{c.name}: no key comparison for {c.type}")
        return ", ".join(exprs), joins

    def _query(self) -> str:
        """The query of the checked rows (see the module docstring), each reason of a duplicate
        apart in `_duplicate_reason` and whether it can never be fixed in `_unfixable`."""
        kind = self.kind
        normalized, joins = [], []
        for c in kind.columns:
            if c.type is T.PERSONAL_NAME:
                continue
            if c.name in self.helpers:
                lookup = f"lookup_{c.name}"
                normalized += [f"{lookup}.{c.name}", f"{lookup}._e_{c.name}"]
                normalized += [f"{lookup}.{a}" for a in self.helpers[c.name]]
                joins.append(self._lookup_join(c.name))
                continue
            normalized.append(f"{normalized_sql(f'src.{c.name}')} as {c.name}")
            if c.type is T.MEMBER_ID:
                key = f"src.{c.stored_name}" if self.prehashed else "null::varchar"
                normalized.append(f"{key} as {c.stored_name}")
        hashed = ", ".join(f"{expr} as {name}" for name, expr in self.member_key_exprs.items())
        id_columns = [name for c in kind.columns if c.type is T.MEMBER_ID
                      for name in (c.name, c.stored_name)]
        stored = [c.stored_name for c in kind.columns if c.type is not T.PERSONAL_NAME]
        raw_json = ", ".join(f"{_q(s)}, t._v_{s}" for s in stored)
        keys = [c.stored_name for c in kind.key_columns]
        key_names = ", ".join(c.name for c in kind.key_columns)  # as the clerk wrote them
        # A member id that looks like a formula or is damaged cannot be checked again later:
        # only its key is kept, so such a row must never be released by a later run.
        unfixable = " or ".join(f"n.{c.name}_is_formula or n.{c.name}_is_damaged"
                                for c in kind.columns if c.type is T.MEMBER_ID) or "false"
        identity = keys + ([kind.vintage_column] if kind.vintage_column else [])
        key_exprs, key_joins = self._keys()
        # Duplicates by aggregate and join, not a window: a window sorts every column of
        # every row; the join's other side holds only the keys that repeat. (A null vintage
        # is a vintage of its own, as in a partition.)
        same_identity = " and ".join(
            [f"k.{k} = f.{k}" for k in ["_file_id", *keys]]
            + [f"k.{v} is not distinct from f.{v}" for v in identity[len(keys):]])
        # The reasons in rule order: those of a per-value column come whole from its lookup,
        # the others are built on the row. Most rows pass: their list of reasons is built only
        # when some rule fails.
        parts: list[str] = []
        gate: list[str] = []
        row_reasons: list[str] = []
        for i, (scope, cond, message) in enumerate(self.rules):
            if scope is None:
                row_reasons.append(f"case when {cond} then {message} end")
                gate.append(f"({cond}) is true")
            elif i == 0 or self.rules[i - 1][0] != scope:
                if row_reasons:
                    parts.append(f"[{', '.join(row_reasons)}]")
                    row_reasons = []
                parts.append(f"n._e_{scope}")
                gate.append(f"len(n._e_{scope}) > 0")
        if row_reasons:
            parts.append(f"[{', '.join(row_reasons)}]")
        joined = ",\n                ".join(parts)
        errors = (f"list_filter(flatten([\n                {joined}\n                ]), "
                  "lambda e: e is not null)") if parts else f"[]::{REASON_TYPE}[]"
        failing = " or ".join(gate) or "false"
        return f"""
        with {', '.join(self._lookups()) + ', ' if self.helpers else ''}normalized as (
            select src._file_id, src._row_number, {', '.join(normalized)}
            from src{''.join(joins)}
        ), hashed as (
            select {'* exclude (' + ', '.join(id_columns) + ')' if id_columns else '*'}
                {', ' + hashed if hashed else ''}
            from normalized n
        ){''.join(self.unit_list_ctes)}
        , typed as (
            select n._file_id, n._row_number,
                {', '.join(self.typed)},
                case when {failing} then {errors} else []::{REASON_TYPE}[] end as _errors,
                {unfixable} as _unfixable,
                {', '.join(f'n.{s} as _v_{s}' for s in stored)}
            from hashed n{''.join(self.unit_joins)}
        )
        , keys as (
            select k.*, hash({', '.join(f'k.{k}' for k in ['_file_id', *identity])}) as _hash
            from (select src._file_id, src._row_number, {key_exprs}
                  from src{''.join(key_joins)}) k
        ), candidates as (
            -- Most keys are unique: only the rows whose key hash repeats are compared whole.
            -- (Rows with a null key are left out here, where the filter is not pushed into
            -- the scan of `src`: there it would normalise every key twice.)
            select * from keys k
            where {' and '.join(f'k.{k} is not null' for k in keys)}
              and k._hash in (select _hash from keys group by _hash having count(*) > 1)
        ), firsts as (
            select k._file_id, {', '.join(f'k.{k}' for k in identity)},
                min(k._row_number) as _first_row
            from candidates k
            group by all having count(*) > 1
        ), duplicates as (
            select k._file_id, k._row_number, f._first_row
            from candidates k join firsts f on {same_identity}
            where k._row_number > f._first_row
        )
        select t.* exclude ({', '.join(f'_v_{s}' for s in stored)}, _unfixable),
            -- only failing rows keep their submitted values (as JSON)
            case when len(t._errors) > 0 or d._first_row is not null
                 then json_object({raw_json}) end as _raw,
            t._unfixable,
            case when d._first_row is not null then {reason_sql(
                "duplicate_key", None,
                f"'duplicate of row ' || d._first_row || ' (same business key: {key_names})'")}
            end as _duplicate_reason
        from typed t left join duplicates d
            on d._file_id = t._file_id and d._row_number = t._row_number
        """


def set_vocabulary_variables(con: duckdb.DuckDBPyConnection, vocabularies) -> None:
    """`kyluat_vocab_<v>` (folded term -> code) and `kyluat_expect_<v>` (what a clerk may
    write), from the temp tables of `reference.load_vocabularies`."""
    for v in sorted(vocabularies):
        con.execute(f"set variable kyluat_vocab_{v} = (select map_from_entries("
                    f"list((match_key, code))) from vocab_match where vocabulary = {_q(v)})")
        con.execute(f"set variable kyluat_expect_{v} = (select description || "
                    f"'; expected one of ' || expected from vocab_expect "
                    f"where vocabulary = {_q(v)})")


def check_src(con: duckdb.DuckDBPyConnection, kind: Kind, key: Keys,
              prehashed: bool = False) -> None:
    """Create temp table `checked` from temp table `src` (see module docstring).

    `prehashed`: `src` holds member keys instead of ids (quarantined rows checked again).
    """
    # One statement: a second pass over `checked` would copy every row of a large file again.
    builder = _Builder(kind, key, prehashed)
    query = builder.build()
    set_vocabulary_variables(con, builder.vocabularies)
    con.execute(f"""
        create or replace temp table checked as
        select * exclude (_errors, _duplicate_reason, _unfixable),
               case when _duplicate_reason is null then _errors
                    else list_append(_errors, _duplicate_reason) end as _errors,
               _duplicate_reason is null and not _unfixable as _retryable
        from ({query})
    """)
