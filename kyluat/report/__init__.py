"""The static report: the published file drawn as charts and tables, in Vietnamese and English,
for the nation and for each province; one HTML file per scope and language that opens offline.

    build_report(published_db, out_dir)             the nation, both languages
    build_report(published_db, out_dir, "QNM")      one province ("all": every province)
"""

from __future__ import annotations

import json
import os
import time
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from kyluat.freshness import stale_kinds
from kyluat.landing import file_sha256
from kyluat.report.labels import LANGUAGES, text
from kyluat.report.page import render_page, vega_bundle
from kyluat.report.quality import quality_sections
from kyluat.report.sections import (
    NATION,
    SECTIONS,
    Scope,
    Source,
    data_quality,
    forget_frames,
    province_overview,
)

STAMP_NAME = ".source.json"  # which published file the pages were drawn from


class ReportError(ValueError):
    """A report that cannot be built from this published file; the message says why."""


@dataclass
class ReportResult:
    out_dir: Path
    pages: list[Path] = field(default_factory=list)
    seconds: float = 0.0
    skipped: bool = False  # the pages were already drawn from this very file

    @property
    def index(self) -> Path:
        return self.out_dir / page_name(NATION, "vi")

    @property
    def quality_page(self) -> Path:
        return self.out_dir / page_name("quality", "vi")


def page_name(scope_code: str, lang: str) -> str:
    stem = "index" if scope_code == NATION else scope_code
    return f"{stem}.html" if lang == "vi" else f"{stem}.{lang}.html"


def _require_published(published_db: Path) -> None:
    if not published_db.exists():
        raise ReportError(f"{published_db} does not exist yet: run `kyluat run` (or "
                          "`make demo`) first")


def _connect(published_db: Path) -> duckdb.DuckDBPyConnection:
    _require_published(published_db)
    try:
        return duckdb.connect(str(published_db), read_only=True)
    except duckdb.Error as exc:
        raise ReportError(f"{published_db} cannot be opened ({str(exc).splitlines()[0]}); "
                          "the next `kyluat run` publishes it again") from None


def provinces(con) -> list[Scope]:
    """Provinces (of either structure) with discipline figures, in code order."""
    return [Scope(code, name) for code, name in con.execute("""
        select unit_code, max(unit_name) from marts.mart_discipline_unit_year
        where level = 'province' group by unit_code order by unit_code""").fetchall()]


def bundle_cache_dir() -> Path:
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "kyluat"


def build_report(published_db: Path, out_dir: Path, province: str | None = None,
                 skip_if_current: bool = False) -> ReportResult:
    """Write the nation's pages (`province` None), one province's, or every province's
    (`province` "all"), in Vietnamese and English. With `skip_if_current`, do nothing when the
    nation's pages on disk were drawn from a file with the same sha256."""
    started = time.perf_counter()
    published_db, out_dir = Path(published_db), Path(out_dir)
    # the checksum before the file is opened: if a publication renames a new file in between,
    # the stamp names the older file and the next draw redraws the pages
    _require_published(published_db)
    sha = file_sha256(published_db)
    con = _connect(published_db)
    result = ReportResult(out_dir)
    stamp = out_dir / STAMP_NAME
    if skip_if_current and province is None and stamp.exists() and result.index.exists() \
            and json.loads(stamp.read_text()).get("sha256") == sha:
        con.close()
        result.skipped, result.seconds = True, time.perf_counter() - started
        return result
    try:
        run = con.execute("select run_id from audit.builds order by built_at desc limit 1") \
            .fetchone()
        source = Source(published_db.name, sha, run[0] if run else "?")
        every_province = provinces(con)
        if province is None:
            scopes = [Scope(NATION, text("nation", "vi"))]
        elif province == "all":
            scopes = every_province
        else:
            known = {s.code: s for s in every_province}
            if province not in known:
                names = ", ".join(known) or "none"
                raise ReportError(f"{province} is not a province with figures in "
                                  f"{published_db.name}; give one of: {names} (or all)")
            scopes = [known[province]]
        stale = stale_kinds(published_db)
        bundle = vega_bundle(bundle_cache_dir())
        out_dir.mkdir(parents=True, exist_ok=True)
        for scope in scopes:
            for lang in LANGUAGES:
                html = _page(con, scope, source, lang, every_province, stale, bundle, out_dir)
                path = out_dir / page_name(scope.code, lang)
                path.write_text(html, encoding="utf-8")
                result.pages.append(path)
        if province is None:
            for lang in LANGUAGES:
                path = out_dir / page_name("quality", lang)
                path.write_text(_quality_page(con, source, lang, bundle), encoding="utf-8")
                result.pages.append(path)
    finally:
        forget_frames()
        con.close()
    if province is None:
        stamp.write_text(json.dumps({"sha256": sha, "run_id": source.run_id}))
    result.seconds = time.perf_counter() - started
    return result


def _quality_page(con, source: Source, lang: str, bundle: str) -> str:
    other = "en" if lang == "vi" else "vi"
    links = [(text("other_language", lang), page_name("quality", other)),
             (text("report_title", lang), page_name(NATION, lang))]
    subtitle = [f"{text('source', lang)}: {source.file_name} (sha256 {source.sha256[:12]}), "
                f"{text('run', lang)} {source.run_id}"]
    return render_page(text("q_title", lang), subtitle, links,
                       quality_sections(con, source, lang), lang, bundle)


def _page(con, scope: Scope, source: Source, lang: str, every_province: list[Scope],
          stale, bundle: str, out_dir: Path) -> str:
    other = "en" if lang == "vi" else "vi"
    name = text("nation", lang) if scope.code == NATION else f"{scope.name} ({scope.code})"
    links = [(text("other_language", lang), page_name(scope.code, other)),
             (text("quality_page", lang), page_name("quality", lang))]
    if scope.code != NATION:
        links.append((text("nation", lang), page_name(NATION, lang)))
    links += [(p.code, page_name(p.code, lang)) for p in every_province
              if p != scope and (out_dir / page_name(p.code, lang)).exists()]
    sections = [make(con, scope, source, lang) for make in SECTIONS]
    if scope.code == NATION:
        sections.insert(1, province_overview(con, scope, source, lang))
    sections.append(data_quality(con, scope, source, lang, stale))
    subtitle = [name, text("synthetic_note", lang), text("structure_note", lang),
                f"{text('source', lang)}: {source.file_name} (sha256 {source.sha256[:12]}), "
                f"{text('run', lang)} {source.run_id}"]
    return render_page(f"{text('report_title', lang)}: {name}", subtitle, links, sections,
                       lang, bundle)
