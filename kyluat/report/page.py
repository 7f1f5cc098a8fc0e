"""One self-contained HTML page: styles, scripts and chart specifications inline. Each chart is
a Vega-Lite specification drawn as SVG in the page by the Vega bundle that vl-convert ships
(inlined, so no network); a table beside it carries the same figures for screen readers."""

from __future__ import annotations

import json
import os
import re
from html import escape
from pathlib import Path

import vl_convert

from kyluat.report.labels import CHART_LOCALES, text
from kyluat.report.sections import Figure, Section

STYLE = """
:root { --ink: #1d1d1f; --muted: #555; --line: #d9d9de; --accent: #8c2d04; }
* { box-sizing: border-box; }
body { margin: 0; font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "Noto Sans",
       "DejaVu Sans", sans-serif; color: var(--ink); background: #f6f6f8; }
header { background: #7a1010; color: #fff; padding: 18px 28px; }
header h1 { margin: 0 0 4px; font-size: 22px; }
header p { margin: 2px 0; opacity: .9; }
header a { color: #ffe9a8; }
nav { padding: 8px 28px; background: #fff; border-bottom: 1px solid var(--line); }
nav a { margin-right: 14px; color: var(--accent); text-decoration: none; }
main { padding: 12px 28px 40px; }
section { background: #fff; border: 1px solid var(--line); border-radius: 6px;
          padding: 14px 18px; margin: 16px 0; }
section h2 { margin: 0 0 10px; font-size: 18px; }
.figure { display: grid; grid-template-columns: minmax(0, auto) minmax(280px, 1fr); gap: 18px;
          align-items: start; margin: 10px 0 18px; }
.figure figure { margin: 0; overflow-x: auto; }
.vega { min-height: 60px; }
.figure svg { max-width: 100%; height: auto; }
.note { color: var(--muted); font-size: 12px; margin: 4px 0; }
.table { overflow-x: auto; max-height: 460px; overflow-y: auto; }
table { border-collapse: collapse; font-size: 12px; width: 100%; }
caption { text-align: left; font-weight: 600; padding: 0 0 4px; }
th, td { border-bottom: 1px solid var(--line); padding: 3px 6px; text-align: left;
         vertical-align: top; }
.figure-table .table { max-height: none; }
.figure-table td { overflow-wrap: anywhere; }
td.n, th.n { text-align: right; font-variant-numeric: tabular-nums; }
thead th { position: sticky; top: 0; background: #f0f0f3; }
tr.status-mismatch td { background: #fde2e1; }
tr.status-not_computable td { background: #fff4cc; }
tr.check-failed td { background: #fde2e1; }
tr.check-passed td:nth-child(5) { color: #2e7d32; font-weight: 600; }
.legend-status span { display: inline-block; padding: 1px 6px; margin-right: 8px; }
.status-mismatch-key { background: #fde2e1; }
.status-not_computable-key { background: #fff4cc; }
@media (max-width: 900px) { .figure { grid-template-columns: 1fr; } }
"""

_NUMERIC = re.compile(r"^[-–+]?[\d.,]+$|^–$")


def vega_bundle(cache_dir: Path) -> str:
    """Vega, Vega-Lite and Vega-Embed as one script (from vl-convert, offline); bundling takes
    seconds, so the bundle is kept in `cache_dir` per vl-convert version."""
    cached = cache_dir / f"vega-bundle-{vl_convert.__version__}.js"
    if cached.exists():
        return cached.read_text(encoding="utf-8")
    bundle = vl_convert.javascript_bundle().replace("</script", "<\\/script")
    cache_dir.mkdir(parents=True, exist_ok=True)
    # written beside and renamed in: another process may be reading the cache
    partial = cached.with_name(f".{cached.name}.{os.getpid()}")
    partial.write_text(bundle, encoding="utf-8")
    os.replace(partial, cached)
    return bundle


def _inline_json(value) -> str:
    return json.dumps(value, ensure_ascii=False, default=str).replace("</", "<\\/")


# Draws every chart as SVG once the bundle is loaded; body[data-charts] tells when it is done.
RENDER = """
const locale = %s;
const figures = [...document.querySelectorAll('figure.chart')];
Promise.all(figures.map(fig => vegaEmbed(fig.querySelector('.vega'),
    JSON.parse(fig.querySelector('script.spec').textContent),
    {renderer: 'svg', actions: false, formatLocale: locale}).then(result => {
      const svg = fig.querySelector('svg');
      svg.setAttribute('role', 'img');
      svg.setAttribute('aria-label', fig.dataset.title);
    })))
  .then(() => { document.body.dataset.charts = 'rendered'; },
        error => { document.body.dataset.charts = 'failed'; console.error(error); });
"""


def _table(figure: Figure) -> str:
    head = "".join(f"<th scope=col>{escape(c)}</th>" for c in figure.columns)
    body = []
    for i, row in enumerate(figure.rows):
        css = f' class="{figure.row_classes[i]}"' if figure.row_classes else ""
        cells = "".join(
            f'<td class="n">{escape(v)}</td>' if _NUMERIC.match(v) else f"<td>{escape(v)}</td>"
            for v in row)
        body.append(f"<tr{css}>{cells}</tr>")
    return (f'<div class="table"><table data-figure="{figure.key}"><caption>'
            f"{escape(figure.title)}</caption><thead><tr>{head}</tr></thead><tbody>"
            f"{''.join(body)}</tbody></table></div>")


def _figure(figure: Figure, lang: str) -> str:
    note = f'<p class="note">{escape(figure.note)}</p>' if figure.note else ""
    if figure.chart is None:
        return f'<div class="figure-table">{note}{_table(figure) if figure.rows else ""}</div>'
    caption = (f"<figcaption class=note>{escape(figure.unit)}"
               f"{' · ' + escape(figure.period) if figure.period else ''}</figcaption>")
    spec = _inline_json(figure.chart.to_dict(validate=False))
    return (f'<div class="figure" id="fig-{figure.key}"><figure class="chart" '
            f'data-figure="{figure.key}" data-title="{escape(figure.title)}">'
            f'<div class="vega"></div><script type="application/json" class="spec">{spec}'
            f"</script>{caption}{note}</figure>{_table(figure)}</div>")


def render_page(title: str, subtitle: list[str], links: list[tuple[str, str]],
                sections: list[Section], lang: str, bundle: str) -> str:
    nav = "".join(f'<a href="#{s.key}">{escape(s.heading)}</a>' for s in sections)
    head_links = " · ".join(f'<a href="{escape(href)}">{escape(label)}</a>'
                            for label, href in links)
    body = []
    for section in sections:
        parts = [f'<section id="{section.key}"><h2>{escape(section.heading)}</h2>']
        if section.key == "reconciliation":
            parts.append('<p class="note legend-status">'
                         f'<span class="status-mismatch-key">{escape(text("mismatch", lang))}'
                         '</span><span class="status-not_computable-key">'
                         f'{escape(text("not_computable", lang))}</span></p>')
        parts += [f'<p class="note">{escape(n)}</p>' for n in section.notes]
        if not section.figures and not section.notes:
            parts.append(f'<p class="note">{escape(text("none", lang))}</p>')
        parts += [_figure(f, lang) for f in section.figures]
        parts.append("</section>")
        body.append("".join(parts))
    lines = "".join(f"<p>{escape(s)}</p>" for s in subtitle)
    return (f'<!doctype html><html lang="{lang}"><head><meta charset="utf-8">'
            '<meta name="viewport" content="width=device-width, initial-scale=1">'
            f"<title>{escape(title)}</title><style>{STYLE}</style></head><body>"
            f"<header><h1>{escape(title)}</h1>{lines}<p>{head_links}</p></header>"
            f"<nav>{nav}</nav><main>{''.join(body)}</main>"
            f'<script>{bundle}</script>'
            f"<script>{RENDER % _inline_json(CHART_LOCALES[lang])}</script></body></html>")
