"""The data-quality page: the latest result of every blocking check (dbt tests and Great
Expectations suites) recorded in the published file's audit.check_results, drawn with the
report's machinery so that it opens offline, unlike Great Expectations' own Data Docs site,
whose styles and scripts come from the internet."""

from __future__ import annotations

import altair as alt

from kyluat.report.labels import number, text
from kyluat.report.sections import CHART_WIDTH, Figure, Section, Source, _frame, _titled, _values

LATEST_RESULTS = """
    select check_name, asset, arg_max(passed, evaluated_at) as passed,
           arg_max(blocking, evaluated_at) as blocking, arg_max(details, evaluated_at) as details,
           arg_max(run_id, evaluated_at) as run_id, max(evaluated_at) as evaluated_at,
           case when check_name like 'ge\\_%' escape '\\' then 'ge' else 'dbt' end as kind,
           split_part(asset, '/', 1) as layer
    from audit.check_results group by check_name, asset
    order by passed, layer, asset, check_name"""

LAYERS = ("raw", "staging", "intermediate", "marts", "scopes", "reference", "published")


def quality_sections(con, source: Source, lang: str) -> list[Section]:
    frame = _frame(con, LATEST_RESULTS, [])
    if frame.empty:
        return [Section("checks", text("q_checks", lang), [], [text("q_none", lang)])]
    frame["outcome"] = frame["passed"].map(lambda p: text("q_passed" if p else "q_failed", lang))
    frame["kind_label"] = frame["kind"].map(lambda k: text(f"q_{k}", lang))
    counts = frame.groupby(["layer", "kind_label", "outcome"], as_index=False).size()
    table_name = "audit.check_results"
    unit = text("q_unit", lang)
    period = f"{text('q_evaluated', lang)}: {frame['evaluated_at'].min():%Y-%m-%d} – " \
             f"{frame['evaluated_at'].max():%Y-%m-%d}"
    order = [layer for layer in LAYERS if layer in set(counts["layer"])] + sorted(
        set(counts["layer"]) - set(LAYERS))
    chart = alt.Chart(_values(counts)).mark_bar().encode(
        y=alt.Y("layer:N", title=text("q_layer", lang), sort=order),
        x=alt.X("sum(size):Q", title=unit),
        color=alt.Color("outcome:N", title=text("status", lang),
                        scale=alt.Scale(domain=[text("q_passed", lang), text("q_failed", lang)],
                                        range=["#2e7d32", "#c62828"]),
                        legend=alt.Legend(orient="bottom")),
        row=alt.Row("kind_label:N", title=None,
                    header=alt.Header(labelAngle=0, labelAlign="left", labelOrient="top",
                                      labelFontWeight="bold")),
    ).properties(width=CHART_WIDTH - 120, height=alt.Step(18))
    chart = _titled(chart, text("q_chart", lang), unit, period,
                    source.describe(lang, table_name), lang)
    passed = int(frame["passed"].sum())
    summary_rows = [[r.layer, r.kind_label, r.outcome, number(r.size, lang)]
                    for r in counts.itertuples()]
    summary = Figure("checks", text("q_chart", lang), unit, period, table_name, chart,
                     [text("q_layer", lang), text("q_kind", lang), text("status", lang),
                      unit], summary_rows,
                     note=text("q_summary", lang, passed=number(passed, lang),
                               total=number(len(frame), lang)))
    rows, classes = [], []
    for r in frame.itertuples():
        rows.append([r.check_name, r.asset, r.kind_label,
                     text("q_yes" if r.blocking else "q_no", lang), r.outcome,
                     r.details or "", f"{r.evaluated_at:%Y-%m-%d %H:%M}", r.run_id[:8]])
        classes.append("check-passed" if r.passed else "check-failed")
    every = Figure("every_check", text("q_every", lang), "", "", table_name, None,
                   [text("q_check", lang), text("q_asset", lang), text("q_kind", lang),
                    text("q_blocking", lang), text("status", lang), text("q_details", lang),
                    text("q_evaluated", lang), text("run", lang)], rows, row_classes=classes)
    return [Section("checks", text("q_checks", lang), [summary]),
            Section("every-check", text("q_every", lang), [every])]
