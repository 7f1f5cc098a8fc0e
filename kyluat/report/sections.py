"""What the report shows: each figure's query on the published file, its chart and its table.

Every query reads the marts (docs/analyst_guide.md has the same questions in SQL); a scope is
the nation (TW) or a province, and "under a scope" means the scope and every unit below it in
the tree valid on the date of each record.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

import altair as alt
import duckdb
import pandas as pd

from kyluat.report.labels import number, text

NATION = "TW"
TERMS_SIDE_BY_SIDE = ("2015-2020", "2020-2025")
FUNNEL_STAGES = ("inspected", "violation_found", "discipline_required", "disciplined")
BREAKDOWN_DIMENSIONS = {"form": "discipline_form", "authority": "authority_type",
                        "channel": "channel"}
GOVERNANCE_INDICES = {"par_index_rank": "PAR Index", "sipas_rank": "SIPAS",
                      "papi_rank": "PAPI", "pci_rank": "PCI"}
CHART_WIDTH = 420


@dataclass(frozen=True)
class Source:
    """Where every figure comes from: the published file and the run that built it."""
    file_name: str
    sha256: str
    run_id: str

    def describe(self, lang: str, table: str) -> str:
        return (f"{text('source', lang)}: {self.file_name} (sha256 {self.sha256[:12]}), "
                f"{text('run', lang)} {self.run_id[:8]}, {text('table', lang)} {table}")


@dataclass
class Figure:
    key: str
    title: str
    unit: str
    period: str
    table_name: str
    chart: alt.TopLevelMixin | None
    columns: list[str]
    rows: list[list[str]]
    note: str = ""
    row_classes: list[str] = field(default_factory=list)


@dataclass
class Section:
    key: str
    heading: str
    figures: list[Figure]
    notes: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Scope:
    code: str
    name: str


# Both languages draw the same figures: each query runs once per build (forget_frames after).
_FRAMES: dict[tuple, pd.DataFrame] = {}


def forget_frames() -> None:
    _FRAMES.clear()


def _labels(con: duckdb.DuckDBPyConnection, dim: str, lang: str) -> dict[str, str]:
    column = "label_vi" if lang == "vi" else "label_en"
    frame = _frame(con, f"select code, {column} as label from marts.{dim}", [])
    return dict(zip(frame["code"], frame["label"], strict=True))


def _period(years, lang: str) -> str:
    years = [int(y) for y in years if y is not None and y == y]
    if not years:
        return ""
    first, last = min(years), max(years)
    return f"{text('period', lang)}: {first}" + (f"–{last}" if last != first else "")


def _titled(chart, title: str, unit: str, period: str, source: str, lang: str):
    return chart.properties(title=alt.TitleParams(
        text=title, subtitle=[f"{unit} · {period}" if period else unit, source],
        anchor="start", fontSize=14, subtitleFontSize=10, subtitleColor="#555"))


def _values(frame: pd.DataFrame) -> alt.Data:
    """A chart's rows, inline: pandas writes them (NaN as null) faster than Altair checks a
    frame, and every encoding of the report names its type."""
    return alt.Data(values=json.loads(frame.to_json(orient="records", date_format="iso")))


def _frame(con, sql: str, params: list) -> pd.DataFrame:
    key = (id(con), sql, tuple(params))
    if key not in _FRAMES:
        _FRAMES[key] = con.execute(sql, params).df()
    return _FRAMES[key].copy()


UNDER_SCOPE = """
    join marts.bridge_org_unit_ancestry a
      on a.unit_code = {unit} and {day} >= a.valid_from and {day} < a.valid_to
     and a.ancestor_code = ?"""


def discipline_by_year(con, scope: Scope, source: Source, lang: str) -> Section:
    levels = _labels(con, "dim_org_level", lang)
    by_level = _frame(con, f"""
        select f.decision_year as year, f.deciding_unit_level as level, count(*) as members
        from marts.fct_member_discipline f
        {UNDER_SCOPE.format(unit="f.deciding_unit_code", day="f.decision_date")}
        where f.counts_in_totals
        group by all order by all""", [scope.code])
    totals = _frame(con, """
        select decision_year as year, members_disciplined, orgs_disciplined, members_in_unit,
               members_disciplined_per_1000
        from marts.mart_discipline_unit_year
        where structure = 'as_of' and unit_code = ? order by year""", [scope.code])
    figures = []
    unit = text("unit_people", lang)
    if not by_level.empty:
        by_level["level_label"] = by_level["level"].map(levels).fillna(by_level["level"])
        level_order = [levels[c] for c in levels if c in set(by_level["level"])]
        period = _period(by_level["year"], lang)
        chart = alt.Chart(_values(by_level)).mark_bar().encode(
            x=alt.X("year:O", title=text("year", lang), axis=alt.Axis(labelAngle=0)),
            y=alt.Y("sum(members):Q", title=text("members_disciplined", lang)),
            color=alt.Color("level_label:N", title=text("level", lang), sort=level_order),
            order=alt.Order("level:N"),
            tooltip=["year:O", "level_label:N", "members:Q"],
        ).properties(width=CHART_WIDTH, height=220)
        table_name = "marts.fct_member_discipline, marts.mart_discipline_unit_year"
        chart = _titled(chart, text("c_year_level", lang), unit, period,
                        source.describe(lang, table_name), lang)
        pivot = by_level.pivot_table(index="year", columns="level", values="members",
                                     aggfunc="sum", fill_value=0)
        present = [c for c in levels if c in pivot.columns]
        totals_by_year = totals.set_index("year")
        rows = []
        for year, counts in pivot.iterrows():
            total = totals_by_year.loc[year] if year in totals_by_year.index else None
            rows.append([str(year), *[number(counts[c], lang) for c in present],
                         number(int(counts.sum()), lang),
                         number(None if total is None else total["orgs_disciplined"], lang),
                         number(None if total is None else total["members_in_unit"], lang),
                         number(None if total is None else
                                total["members_disciplined_per_1000"], lang, 3)])
        figures.append(Figure(
            "year_level", text("c_year_level", lang), unit, period, table_name, chart,
            [text("year", lang), *[levels[c] for c in present], text("total", lang),
             text("orgs_disciplined", lang), text("members_in_unit", lang),
             text("per_1000", lang)], rows))
    figures.extend(_structures(con, scope, source, lang))
    return Section("year", text("s_year", lang), figures)


def _structures(con, scope: Scope, source: Source, lang: str) -> list[Figure]:
    carrier = con.execute("""
        select current_unit_code, max(unit_name) from marts.bridge_org_unit_current_rollup r
        left join marts.dim_org_unit u on u.unit_code = r.current_unit_code and u.is_current
        where r.unit_code = ? and r.distance = 0 group by all""", [scope.code]).fetchone()
    carrier_code = carrier[0] if carrier else scope.code
    frame = _frame(con, """
        select structure, decision_year as year, members_disciplined, members_in_unit,
               members_disciplined_per_1000
        from marts.mart_discipline_unit_year
        where (structure = 'as_of' and unit_code = ?) or (structure = 'current' and unit_code = ?)
        order by structure, year""", [scope.code, carrier_code])
    if frame.empty:
        return []
    frame["structure_label"] = frame["structure"].map(lambda s: text(s, lang))
    order = [text("as_of", lang), text("current", lang)]
    unit = text("unit_people", lang)
    period = _period(frame["year"], lang)
    table_name = "marts.mart_discipline_unit_year"
    chart = alt.Chart(_values(frame)).mark_bar().encode(
        x=alt.X("year:O", title=text("year", lang), axis=alt.Axis(labelAngle=0)),
        xOffset=alt.XOffset("structure_label:N", sort=order),
        y=alt.Y("members_disciplined:Q", title=text("members_disciplined", lang)),
        color=alt.Color("structure_label:N", title=text("structure", lang), sort=order,
                        legend=alt.Legend(orient="bottom", direction="vertical",
                                          labelLimit=400)),
    ).properties(width=CHART_WIDTH, height=220)
    chart = _titled(chart, text("c_structure", lang), unit, period,
                    source.describe(lang, table_name), lang)
    rows = [[str(r.year), r.structure_label, number(r.members_disciplined, lang),
             number(r.members_in_unit, lang), number(r.members_disciplined_per_1000, lang, 3)]
            for r in frame.itertuples()]
    note = text("current_note", lang, unit=f"{carrier_code} ({carrier[1]})" if carrier else
                carrier_code, scope=f"{scope.code} ({scope.name})")
    return [Figure("structures", text("c_structure", lang), unit, period, table_name, chart,
                   [text("year", lang), text("structure", lang),
                    text("members_disciplined", lang), text("members_in_unit", lang),
                    text("per_1000", lang)], rows, note=note)]


def breakdowns(con, scope: Scope, source: Source, lang: str) -> Section:
    dims = {"form": _labels(con, "dim_discipline_form", lang),
            "authority": _labels(con, "dim_authority_type", lang),
            "channel": _labels(con, "dim_channel", lang)}
    parts = " union all ".join(
        f"select '{name}' as dimension, {column} as code, sum(disciplined) as members, "
        f"min(decision_year) as first_year, max(decision_year) as last_year "
        f"from marts.mart_discipline_breakdown where structure = 'as_of' and unit_code = $1 "
        f"and subject_kind = 'member' group by all"
        for name, column in BREAKDOWN_DIMENSIONS.items())
    frame = _frame(con, f"select * from ({parts}) order by dimension, members desc",
                   [scope.code])
    figures = []
    if not frame.empty:
        frame["dimension_label"] = frame["dimension"].map(lambda d: text(d, lang))
        frame["label"] = [dims[d].get(c, c) for d, c in zip(frame["dimension"], frame["code"],
                                                              strict=True)]
        unit = text("unit_people", lang)
        period = _period([*frame["first_year"], *frame["last_year"]], lang)
        table_name = "marts.mart_discipline_breakdown"
        bars = alt.Chart().mark_bar().encode(
            y=alt.Y("label:N", title=None, sort="-x"),
            x=alt.X("members:Q", title=text("members_disciplined", lang)),
            color=alt.Color("dimension_label:N", legend=None))
        header = alt.Header(labelAngle=0, labelAlign="left", labelOrient="top",
                            labelFontWeight="bold")
        chart = alt.layer(bars, data=_values(frame)) \
            .properties(width=CHART_WIDTH - 120, height=90) \
            .facet(row=alt.Row("dimension_label:N", title=None, header=header)) \
            .resolve_scale(y="independent")
        chart = _titled(chart, text("c_breakdown", lang), unit, period,
                        source.describe(lang, table_name), lang)
        rows = [[r.dimension_label, r.label, number(r.members, lang)]
                for r in frame.itertuples()]
        figures.append(Figure("breakdown", text("c_breakdown", lang), unit, period, table_name,
                              chart, [text("dimension", lang), text("category", lang),
                                      text("members_disciplined", lang)], rows))
    return Section("breakdown", text("s_breakdown", lang), figures)


def violation_categories(con, scope: Scope, source: Source, lang: str) -> Section:
    labels = _labels(con, "dim_violation_category", lang)
    frame = _frame(con, """
        select violation_category as code, sum(disciplined) as members,
               min(decision_year) as first_year, max(decision_year) as last_year
        from marts.mart_discipline_by_violation_category
        where structure = 'as_of' and unit_code = ? and subject_kind = 'member'
        group by all order by members desc""", [scope.code])
    figures = []
    note = text("violation_note", lang)
    if not frame.empty:
        frame["label"] = frame["code"].map(labels).fillna(frame["code"])
        unit = text("unit_people", lang)
        period = _period([*frame["first_year"], *frame["last_year"]], lang)
        table_name = "marts.mart_discipline_by_violation_category"
        chart = alt.Chart(_values(frame)).mark_bar(color="#8c2d04").encode(
            y=alt.Y("label:N", title=None, sort="-x", axis=alt.Axis(labelLimit=260)),
            x=alt.X("members:Q", title=text("members_disciplined", lang)),
        ).properties(width=CHART_WIDTH - 140, height=alt.Step(16))
        chart = _titled(chart, text("c_violation", lang), unit, period,
                        source.describe(lang, table_name), lang)
        chart = chart.properties(title=alt.TitleParams(
            text=text("c_violation", lang),
            subtitle=[f"{unit} · {period}", note, source.describe(lang, table_name)],
            anchor="start", fontSize=14, subtitleFontSize=10, subtitleColor="#555"))
        rows = [[r.label, number(r.members, lang)] for r in frame.itertuples()]
        figures.append(Figure("violation", text("c_violation", lang), unit, period, table_name,
                              chart, [text("violation_category", lang),
                                      text("members_disciplined", lang)], rows, note=note))
    return Section("violation", text("s_violation", lang), figures)


def funnel(con, scope: Scope, source: Source, lang: str) -> Section:
    frame = _frame(con, """
        select year, sum(members_inspected) as inspected,
               sum(members_in_violation) as violation_found,
               sum(members_discipline_required) as discipline_required,
               sum(members_disciplined) as disciplined
        from marts.mart_inspection_funnel where unit_code = ?
        group by year order by year""", [scope.code])
    figures = []
    if not frame.empty:
        long = frame.melt(id_vars="year", value_vars=list(FUNNEL_STAGES), var_name="stage",
                          value_name="members")
        long["stage_label"] = long["stage"].map(lambda s: text(s, lang))
        order = [text(s, lang) for s in FUNNEL_STAGES]
        unit = text("unit_people", lang)
        period = _period(frame["year"], lang)
        table_name = "marts.mart_inspection_funnel"
        chart = alt.Chart(_values(long)).mark_bar().encode(
            x=alt.X("year:O", title=text("year", lang), axis=alt.Axis(labelAngle=0)),
            xOffset=alt.XOffset("stage_label:N", sort=order),
            y=alt.Y("members:Q", title=text("unit_people", lang)),
            color=alt.Color("stage_label:N", sort=order, title=text("stage", lang),
                            scale=alt.Scale(scheme="blues", reverse=False),
                            legend=alt.Legend(orient="bottom", columns=2)),
        ).properties(width=CHART_WIDTH, height=220)
        chart = _titled(chart, text("c_funnel", lang), unit, period,
                        source.describe(lang, table_name), lang)
        rows = [[str(r.year), *[number(getattr(r, s), lang) for s in FUNNEL_STAGES]]
                for r in frame.itertuples()]
        figures.append(Figure("funnel", text("c_funnel", lang), unit, period, table_name, chart,
                              [text("year", lang), *order], rows))
    return Section("funnel", text("s_funnel", lang), figures)


def terms(con, scope: Scope, source: Source, lang: str) -> Section:
    authorities = _labels(con, "dim_authority_type", lang)
    frame = _frame(con, """
        select term_code, authority_type, members_disciplined, distinct_members_disciplined,
               orgs_disciplined
        from marts.mart_discipline_by_term
        where structure = 'as_of' and unit_code = ? and term_code in (?, ?)
        order by term_code, authority_type""", [scope.code, *TERMS_SIDE_BY_SIDE])
    figures = []
    if not frame.empty:
        frame["authority_label"] = frame["authority_type"].map(authorities)
        unit = text("unit_people", lang)
        period = f"{text('term', lang)}: {', '.join(TERMS_SIDE_BY_SIDE)}"
        table_name = "marts.mart_discipline_by_term"
        chart = alt.Chart(_values(frame)).mark_bar().encode(
            x=alt.X("term_code:N", title=text("term", lang), sort=list(TERMS_SIDE_BY_SIDE)),
            xOffset="authority_label:N",
            y=alt.Y("members_disciplined:Q", title=text("members_disciplined", lang)),
            color=alt.Color("authority_label:N", title=text("authority", lang),
                            legend=alt.Legend(orient="bottom")),
        ).properties(width=CHART_WIDTH - 100, height=220)
        chart = _titled(chart, text("c_term", lang), unit, period,
                        source.describe(lang, table_name), lang)
        rows = [[r.term_code, r.authority_label, number(r.members_disciplined, lang),
                 number(r.orgs_disciplined, lang)] for r in frame.itertuples()]
        figures.append(Figure("terms", text("c_term", lang), unit, period, table_name, chart,
                              [text("term", lang), text("authority", lang),
                               text("members_disciplined", lang),
                               text("orgs_disciplined", lang)], rows))
    return Section("terms", text("s_term", lang), figures)


def governance(con, scope: Scope, source: Source, lang: str) -> Section:
    frame = _frame(con, f"""
        select g.*, u.unit_name from marts.mart_governance_discipline g
        left join marts.dim_org_unit u
          on u.unit_code = g.unit_code and make_date(g.year, 12, 31) >= u.valid_from
         and make_date(g.year, 12, 31) < u.valid_to
        where g.unit_code = $1 or $1 = '{NATION}' order by g.unit_code, g.year""",
                   [scope.code])
    figures = []
    if not frame.empty:
        ranks = frame.melt(id_vars=["unit_code", "year"], value_vars=list(GOVERNANCE_INDICES),
                           var_name="indicator", value_name="rank").dropna(subset=["rank"])
        ranks["indicator"] = ranks["indicator"].map(GOVERNANCE_INDICES)
        ranks["year"] = ranks["year"].astype(str)
        rates = frame.dropna(subset=["members_disciplined_per_1000"]).copy()
        rates["year"] = rates["year"].astype(str)
        table_name = "marts.mart_governance_discipline"
        period = _period(frame["year"], lang)
        unit = f"{text('unit_rank', lang)}; {text('unit_per_1000', lang)}"
        rank_chart = alt.Chart(_values(ranks)).mark_bar().encode(
            x=alt.X("indicator:N", title=text("indicator", lang),
                    sort=list(GOVERNANCE_INDICES.values())),
            xOffset="year:N",
            y=alt.Y("rank:Q", title=text("rank", lang)),
            color=alt.Color("year:N", title=text("year", lang),
                            legend=alt.Legend(orient="bottom")),
        ).properties(width=200, height=200, title=text("unit_rank", lang))
        rate_chart = alt.Chart(_values(rates)).mark_bar(color="#8c2d04").encode(
            x=alt.X("year:N", title=text("year", lang), axis=alt.Axis(labelAngle=0)),
            y=alt.Y("members_disciplined_per_1000:Q", title=text("per_1000", lang)),
        ).properties(width=120, height=200, title=text("per_1000", lang))
        chart = _titled(alt.hconcat(rank_chart, rate_chart), text("c_governance", lang), unit,
                        period, source.describe(lang, table_name), lang)
        rows = [[f"{r.unit_code} ({r.unit_name})", str(r.year),
                 *[number(getattr(r, c), lang) for c in GOVERNANCE_INDICES],
                 number(r.members_disciplined, lang),
                 number(r.members_disciplined_per_1000, lang, 3)] for r in frame.itertuples()]
        figures.append(Figure("governance", text("c_governance", lang), unit, period,
                              table_name, chart,
                              [text("province", lang), text("year", lang),
                               *GOVERNANCE_INDICES.values(),
                               text("members_disciplined", lang), text("per_1000", lang)],
                              rows))
    return Section("governance", text("s_governance", lang), figures)


def reconciliation(con, scope: Scope, source: Source, lang: str) -> Section:
    frame = _frame(con, f"""
        select r.figure_origin, coalesce(r.figure_id, r.source_ref) as figure,
               r.reporting_unit_code, r.period_start, r.period_end, r.measure,
               r.published_value, r.value_qualifier, r.computed_value, r.difference,
               r.status, r.not_computable_reason, r.is_current_vintage
        from marts.rpt_published_reconciliation r
        where $1 = '{NATION}' or r.reporting_unit_code in (
            select unit_code from marts.bridge_org_unit_ancestry where ancestor_code = $1)
        order by r.figure_origin desc, r.status = 'match', figure, r.reporting_unit_code,
                 r.period_start, r.as_of_date""", [scope.code])
    figures = []
    if frame.empty:
        return Section("reconciliation", text("s_reconciliation", lang), figures)
    table_name = "marts.rpt_published_reconciliation"
    period = _period([*frame["period_start"].map(lambda d: d.year),
                      *frame["period_end"].map(lambda d: d.year)], lang)
    unit = text("unit_people", lang) + " / " + text("unit_orgs", lang)
    shown = frame[(frame["figure_origin"] == "published") & frame["is_current_vintage"]]
    if shown.empty:
        shown = frame[frame["is_current_vintage"]]
    bars = shown.melt(id_vars=["figure", "status"],
                      value_vars=["published_value", "computed_value"], var_name="which",
                      value_name="value").dropna(subset=["value"])
    bars["which_label"] = bars["which"].map(lambda w: text(w, lang))
    bars["status_label"] = bars["status"].map(lambda s: text(s, lang))
    base = alt.Chart(_values(bars)).encode(
        y=alt.Y("figure:N", title=text("figure", lang)),
        yOffset="which_label:N",
        x=alt.X("value:Q", title=unit),
    )
    chart = (base.mark_bar().encode(
        color=alt.Color("which_label:N", title=None, legend=alt.Legend(orient="bottom")),
        tooltip=["figure:N", "which_label:N", "value:Q", "status_label:N"])
        + base.mark_text(align="left", dx=3, fontSize=9).encode(
            text=alt.Text("value:Q", format=",d"))).properties(
        width=CHART_WIDTH - 120, height=alt.Step(11))
    chart = _titled(chart, text("c_reconciliation", lang), unit, period,
                    source.describe(lang, table_name), lang)
    rows, classes = [], []
    for r in frame.itertuples():
        explanation = _explain(r, lang)
        if not r.is_current_vintage:
            explanation += " " + text("older_vintage", lang)
        rows.append([text(r.figure_origin, lang), r.figure, r.reporting_unit_code,
                     f"{r.period_start:%Y-%m-%d} – {r.period_end:%Y-%m-%d}",
                     number(r.published_value, lang), number(r.computed_value, lang),
                     text(r.status, lang), explanation])
        classes.append(f"status-{r.status}")
    figures.append(Figure("reconciliation", text("c_reconciliation", lang), unit, period,
                          table_name, chart,
                          [text("origin", lang), text("figure", lang), text("reporting_unit", lang),
                           text("period", lang),
                           text("published_value", lang), text("computed_value", lang),
                           text("status", lang), text("explanation", lang)],
                          rows, row_classes=classes))
    return Section("reconciliation", text("s_reconciliation", lang), figures)


def _explain(row, lang: str) -> str:
    if row.status == "mismatch":
        return text("explain_mismatch", lang, computed=number(row.computed_value, lang),
                    published=number(row.published_value, lang),
                    difference=number(row.difference, lang))
    if row.status == "not_computable":
        return text("explain_not_computable", lang, reason=row.not_computable_reason or "")
    if row.status == "consistent":
        return text("explain_consistent", lang, qualifier=row.value_qualifier)
    return text("explain_match", lang)


# The unit that submitted a file: the top-most unit its accepted rows name (a province's file
# carries its districts' decisions too); reference files name none.
def file_units(con) -> str:
    """A temporary table of each file's submitting unit (the highest unit its rows name),
    built once per connection: every page's data-quality section reads it, and it scans the
    row-level facts."""
    con.execute("""
        create temp table if not exists report_file_units as
        with named as (
            select distinct source_file_id as file_id, deciding_unit_code as unit_code
            from marts.fct_member_discipline_history
            union all
            select distinct source_file_id, deciding_unit_code from marts.fct_org_discipline_history
            union all
            select distinct source_file_id, conducting_unit_code from marts.fct_activity
        ), depth as (
            select unit_code, min(level_depth) as depth from marts.dim_org_unit group by all
        )
        select n.file_id, first(n.unit_code order by d.depth nulls last, n.unit_code) as unit_code
        from named n left join depth d using (unit_code)
        group by n.file_id""")
    return "temp.report_file_units"


def _in_scope(scope: Scope) -> str:
    return (f"($1 = '{NATION}' or u.unit_code in (select unit_code from "
            "marts.bridge_org_unit_ancestry where ancestor_code = $1))")


def data_quality(con, scope: Scope, source: Source, lang: str, stale) -> Section:
    figures = []
    units = file_units(con)
    files = _frame(con, f"""
        select coalesce(u.unit_code, '(' || r.kind || ')') as unit,
               strftime(r.registered_at, '%Y-%m') as cycle, count(*) as files,
               sum(r.accepted_count) as rows_loaded, sum(r.rejected_count) as rows_rejected
        from audit.file_registry r left join {units} u using (file_id)
        where {_in_scope(scope)} or (u.unit_code is null and $1 = '{NATION}')
        group by all order by unit, cycle""", [scope.code])
    table_name = "audit.file_registry"
    if not files.empty:
        period = f"{text('cycle', lang)}: {files['cycle'].min()}" + (
            f"–{files['cycle'].max()}" if files["cycle"].max() != files["cycle"].min() else "")
        unit = text("unit_files", lang)
        chart = alt.Chart(_values(files)).mark_bar().encode(
            y=alt.Y("unit:N", title=text("submitting_unit", lang)),
            x=alt.X("files:Q", title=text("files", lang), axis=alt.Axis(tickMinStep=1)),
            color=alt.Color("cycle:N", title=text("cycle", lang),
                            legend=alt.Legend(orient="bottom")),
        ).properties(width=CHART_WIDTH - 140, height=alt.Step(14))
        chart = _titled(chart, text("c_files", lang), unit, period,
                        source.describe(lang, table_name), lang)
        rows = [[r.unit, r.cycle, number(r.files, lang), number(r.rows_loaded, lang),
                 number(r.rows_rejected, lang)] for r in files.itertuples()]
        figures.append(Figure("files", text("c_files", lang), unit, period, table_name, chart,
                              [text("submitting_unit", lang), text("cycle", lang),
                               text("files", lang), text("rows", lang),
                               text("c_quarantine", lang)], rows))
    quarantined = _frame(con, f"""
        select u.unit_code as unit, q.kind, array_to_string(q.rule_codes, ', ') as rule,
               array_to_string(q.column_names, ', ') as columns, count(*) as rows,
               strftime(min(q.quarantined_at), '%Y-%m') as first_cycle,
               strftime(max(q.quarantined_at), '%Y-%m') as last_cycle
        from audit.quarantine q left join {units} u using (file_id)
        where q.resolved_at is null and ({_in_scope(scope)}
              or (u.unit_code is null and $1 = '{NATION}'))
        group by all order by rows desc, unit, rule""", [scope.code])
    notes = [text("quarantine_note", lang)]
    if quarantined.empty:
        notes.append(text("no_quarantine", lang))
    else:
        quarantined["unit"] = quarantined["unit"].fillna(text("unknown_unit", lang))
        unit = text("unit_rows", lang)
        period = f"{text('cycle', lang)}: {quarantined['first_cycle'].min()}"
        table_name_q = "audit.quarantine"
        chart = alt.Chart(_values(quarantined)).mark_bar().encode(
            y=alt.Y("unit:N", title=text("submitting_unit", lang)),
            x=alt.X("sum(rows):Q", title=text("rows", lang)),
            color=alt.Color("rule:N", title=text("rule", lang),
                            legend=alt.Legend(orient="bottom", columns=1)),
        ).properties(width=CHART_WIDTH - 140, height=alt.Step(14))
        chart = _titled(chart, text("c_quarantine", lang), unit, period,
                        source.describe(lang, table_name_q), lang)
        rows = [[r.unit, r.kind, r.rule, r.columns, number(r.rows, lang)]
                for r in quarantined.itertuples()]
        figures.append(Figure("quarantine", text("c_quarantine", lang), unit, period,
                              table_name_q, chart,
                              [text("submitting_unit", lang), text("kind", lang),
                               text("rule", lang), text("columns", lang), text("rows", lang)],
                              rows, note=text("quarantine_note", lang)))
    stale_rows = [[s.kind, f"{s.newest_file_at:%Y-%m-%d}" if s.newest_file_at else
                   text("never", lang), number(s.age_days, lang), number(s.cycle_days, lang)]
                  for s in stale]
    figures.append(Figure("stale", text("stale", lang), "", "", "audit.file_registry", None,
                          [text("kind", lang), text("newest_file", lang),
                           text("age_days", lang), text("cycle_days", lang)], stale_rows,
                          note="" if stale_rows else text("no_stale", lang)))
    return Section("quality", text("s_quality", lang), figures, notes)


def province_overview(con, scope: Scope, source: Source, lang: str) -> Section:
    """The nation's page: every province per year, as the tree was on the decision date."""
    frame = _frame(con, """
        select unit_code, max(unit_name) as unit_name, decision_year as year,
               sum(members_disciplined) as members_disciplined,
               max(members_in_unit) as members_in_unit,
               max(members_disciplined_per_1000) as members_disciplined_per_1000
        from marts.mart_discipline_unit_year
        where structure = 'as_of' and level = 'province' group by all order by all""", [])
    figures = []
    if not frame.empty:
        frame["province"] = frame["unit_code"] + " " + frame["unit_name"]
        unit = text("unit_people", lang)
        period = _period(frame["year"], lang)
        table_name = "marts.mart_discipline_unit_year"
        chart = alt.Chart(_values(frame)).mark_line(point=True).encode(
            x=alt.X("year:O", title=text("year", lang), axis=alt.Axis(labelAngle=0)),
            y=alt.Y("members_disciplined:Q", title=text("members_disciplined", lang)),
            color=alt.Color("province:N", title=text("province", lang),
                            legend=alt.Legend(orient="bottom", columns=2)),
        ).properties(width=CHART_WIDTH, height=220)
        chart = _titled(chart, text("c_provinces", lang), unit, period,
                        source.describe(lang, table_name), lang)
        rows = [[r.province, str(r.year), number(r.members_disciplined, lang),
                 number(r.members_in_unit, lang),
                 number(r.members_disciplined_per_1000, lang, 3)] for r in frame.itertuples()]
        figures.append(Figure("provinces", text("c_provinces", lang), unit, period, table_name,
                              chart, [text("province", lang), text("year", lang),
                                      text("members_disciplined", lang),
                                      text("members_in_unit", lang), text("per_1000", lang)],
                              rows, note=text("province_pages", lang)))
    return Section("provinces", text("provinces", lang), figures)


SECTIONS = (discipline_by_year, breakdowns, violation_categories, funnel, terms, governance,
            reconciliation)
