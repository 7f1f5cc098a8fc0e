"""`kyluat` command line: run the pipeline, validate submissions, query the published file."""

from __future__ import annotations

import argparse
import atexit
import logging
import os
import sys
import tempfile
import time
import traceback
import uuid
from collections.abc import Iterator
from contextlib import contextmanager, redirect_stdout
from dataclasses import replace
from datetime import date, datetime
from pathlib import Path
from typing import TextIO

import duckdb

from kyluat import lake
from kyluat.config import ConfigError, Settings, check_environment
from kyluat.contract import KINDS
from kyluat.locking import is_lock_error, lock_timeout, writer_lock_holder
from kyluat.pseudonym import PseudonymKeyError


def _cmd_run(args: argparse.Namespace) -> int:
    from kyluat.changes import what_changed

    # Flags override the KYLUAT_* variables; the run gets them as its resource's configuration.
    settings = Settings.from_env(args.landing, args.warehouse)
    if settings.landing_dir.exists() and not settings.landing_dir.is_dir():
        raise UsageError(f"the landing folder {settings.landing_dir} is a file; give --landing "
                         "DIR or set KYLUAT_LANDING_DIR to the folder that holds the kind folders")
    if not settings.landing_dir.is_dir():
        raise UsageError(f"the landing folder {settings.landing_dir} does not exist; give "
                         "--landing DIR or set KYLUAT_LANDING_DIR (an empty folder is fine)")
    _check_keys(settings)
    if (holder := _wait_for_writer(settings)) is not None:
        print(f"kyluat run: the warehouse {settings.warehouse_dir} is in use by {holder}; "
              "nothing was started. Run again when that run has ended (KYLUAT_LOCK_TIMEOUT "
              "says how long to wait).", file=sys.stderr)
        return 1
    requested = ("a full refresh" if args.full_refresh else
                 f"a backfill of {args.years[0]}:{args.years[1]}" if args.years else None)
    try:
        changes = what_changed(settings, requested)
    except duckdb.Error as exc:
        if is_lock_error(exc):
            print(f"kyluat run: the working warehouse {settings.working_db} is open in another "
                  "program (a DuckDB shell, dbt docs); nothing was started. Close it and run "
                  "again.", file=sys.stderr)
            return 1
        print(f"kyluat run: the working warehouse {settings.working_db} cannot be opened "
              f"({str(exc).splitlines()[0]}); nothing was started. Move it aside and run "
              "again to rebuild it from the landing folder.", file=sys.stderr)
        return 1
    if not changes.any:
        return _nothing_to_do(settings)
    outcome = report_run(settings, args.years, args.full_refresh, args.verbose,
                         changes.describe())
    return 0 if outcome.success else 1


def report_run(settings: Settings, years: tuple[int, int] | None = None,
               full_refresh: bool = False, verbose: bool = False, work: str = "",
               out: TextIO | None = None):
    """Run the job with its progress lines on `out` (standard output), every line and
    Dagster's and dbt's messages in a new log under <warehouse>/logs/runs/, then the summary
    of the run and the log's path. Without `verbose`, dbt's and Dagster's own output goes to
    the log only."""
    from orchestration.progress import RunProgress
    from orchestration.run_logs import PlainText, new_run_log

    out = out or sys.stdout
    run_id = str(uuid.uuid4())
    log_path = new_run_log(settings.warehouse_dir, run_id)
    with log_path.open("w", encoding="utf-8") as log, RunProgress(out, log) as progress, \
            _logging_into(log):
        progress.line(f"kyluat run {run_id}: {work or 'work asked for'}")
        # the imports take seconds: the progress heartbeat goes on meanwhile
        from orchestration.pipeline import run_pipeline
        from orchestration.summary import print_run_summary

        options = {"settings": settings, "years": years, "full_refresh": full_refresh,
                   "run_id": run_id}
        if verbose:
            outcome = run_pipeline(log_level="INFO", **options)
        else:
            with redirect_stdout(PlainText(log)):
                outcome = run_pipeline(log_level="CRITICAL", **options)
        progress.waiting_for("writing the summary")
        print_run_summary(outcome, settings, progress.line)
        progress.line(f"run log: {log_path}")
    return outcome


PROJECT_LOGGERS = ("kyluat", "orchestration", "data_quality")


@contextmanager
def _logging_into(log: TextIO) -> Iterator[None]:
    """Log records into the run's log: the project's from INFO, every library's warnings."""
    from orchestration.run_logs import PlainText

    handler = logging.StreamHandler(PlainText(log))
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    handler.setLevel(logging.INFO)
    handler.addFilter(lambda r: r.levelno >= logging.WARNING or _is_project(r.name))
    levels = {name: logging.getLogger(name).level for name in PROJECT_LOGGERS}
    for name in PROJECT_LOGGERS:
        if logging.getLogger(name).getEffectiveLevel() > logging.INFO:
            logging.getLogger(name).setLevel(logging.INFO)
    logging.getLogger().addHandler(handler)
    try:
        yield
    finally:
        logging.getLogger().removeHandler(handler)
        for name, level in levels.items():
            logging.getLogger(name).setLevel(level)


def _is_project(name: str) -> bool:
    return name.split(".", 1)[0] in PROJECT_LOGGERS


class _TerminalFilter(logging.Filter):
    """What reaches the terminal: the project's records (from DEBUG with -v, WARNING without),
    each message once; a library's errors only (its warnings and notes are in the run's log)."""

    def __init__(self, verbose: bool):
        super().__init__()
        self.verbose, self.seen = verbose, set()

    def filter(self, record: logging.LogRecord) -> bool:
        if not _is_project(record.name):
            return record.levelno >= logging.ERROR
        if record.levelno < (logging.DEBUG if self.verbose else logging.WARNING):
            return False
        message = (record.name, record.levelno, record.getMessage())
        if message in self.seen:
            return False
        self.seen.add(message)
        return True


def _wait_for_writer(settings: Settings) -> str | None:
    """Wait up to KYLUAT_LOCK_TIMEOUT for another run to release the warehouse; who still holds
    it then, or None."""
    deadline = time.monotonic() + lock_timeout()
    holder = writer_lock_holder(settings.working_db)
    if holder is not None:
        print(f"waiting for {holder} to release {settings.warehouse_dir}", file=sys.stderr)
    while holder is not None and time.monotonic() < deadline:
        time.sleep(min(1.0, max(deadline - time.monotonic(), 0)))
        holder = writer_lock_holder(settings.working_db)
    return holder


def _check_keys(settings: Settings) -> None:
    """Before anything starts: a key the landing may use, and the warehouse's own."""
    from kyluat.locking import connect
    from kyluat.pseudonym import KEY_TABLE, check_warehouse_key, run_keys

    keys = run_keys(settings.landing_dir, settings.pseudonym_key_file)
    if not settings.working_db.exists():
        return
    try:
        con = connect(settings.working_db, read_only=True)
    except duckdb.Error:
        return  # a damaged file: the change detection says so
    try:
        if con.execute("select count(*) from duckdb_tables() where schema_name || '.' || "
                       "table_name = ?", [KEY_TABLE]).fetchone()[0]:
            check_warehouse_key(con, keys, record=False)
    finally:
        con.close()


def _cmd_rotate_key(args: argparse.Namespace) -> int:
    from kyluat.rotation import rotate_key
    from orchestration.pipeline import run_pipeline

    settings = Settings.from_env(args.landing, args.warehouse)
    rotation = rotate_key(settings, Path(args.new_key_file).resolve())
    print(f"re-keyed {rotation.rekeyed} member keys; the keys are now in {rotation.key_file}: "
          f"set KYLUAT_PSEUDONYM_KEY_FILE={rotation.key_file} from now on")
    # The marts and the published file are rebuilt from raw with the new keys, given to the
    # run as configuration of its warehouse resource.
    settings = replace(settings, pseudonym_key_file=rotation.key_file)
    outcome = run_pipeline(settings=settings, full_refresh=True)
    print(f"rebuilt and published {settings.published_db}" if outcome.success else
          "the rebuild failed: run kyluat run --full-refresh (with the new key file) again")
    return 0 if outcome.success else 1


def _nothing_to_do(settings: Settings) -> int:
    """No Dagster run: nothing changed, the published file stays byte for byte."""
    from kyluat.freshness import stale_kinds

    print(f"nothing new since the last publication: {settings.published_db} unchanged")
    for stale in stale_kinds(settings.working_db):
        print(f"warning: {stale.describe()}")
    return 0


FIRST_YEAR = 1930  # the party's founding: no record is older


def _year_range(text: str) -> tuple[int, int]:
    """`FIRST:LAST` or one year, each of four digits, from 1930 to this year."""
    first, colon, last = text.partition(":")
    if not first.isdigit() or (colon and not last.isdigit()) or len(first) != 4 or (
            colon and len(last) != 4):
        raise argparse.ArgumentTypeError(
            f"not a year range: {text!r}; write FIRST:LAST (e.g. 2019:2021) or one year")
    years = int(first), int(last or first)
    if years[0] > years[1]:
        raise argparse.ArgumentTypeError(f"first year after last: {text!r}")
    this_year = date.today().year
    if years[0] < FIRST_YEAR or years[1] > this_year:
        raise argparse.ArgumentTypeError(
            f"years must lie between {FIRST_YEAR} and {this_year}: {text!r}")
    return years


def _cmd_sql(args: argparse.Namespace) -> int:
    from kyluat.query import run_query

    query = args.query if args.query is not None else sys.stdin.read()
    if not query.strip():
        raise UsageError("no query: give the SQL text as an argument or on standard input")
    settings = Settings.from_env(warehouse_dir=args.warehouse)
    if args.release:
        if args.tier or args.province:
            raise UsageError("--release opens the release's own file; give it without --tier "
                             "or --province")
        release = _release(settings, args.release)
        if settings.lake is not None and release.snapshot is not None:
            # time travel: the shared catalog as of the release's snapshot
            return run_query(lake.connect(settings.lake, release.snapshot), query, args.format)
        path = release.database
    elif settings.lake is not None and (args.tier or "national") == "national" \
            and not args.province:
        return run_query(lake.connect(settings.lake), query, args.format)
    else:
        path = _tier_file(settings, args.tier, args.province)
    return run_query(path, query, args.format)


def _tier_file(settings: Settings, tier: str | None, province: str | None) -> Path:
    """The file of a publication tier (README, Publication tiers); a wrong tier or province
    is a usage error."""
    from kyluat import tiers

    tier = tier or ("province" if province else "national")
    if tier != "province" and province:
        raise UsageError(f"--province goes with --tier province, not --tier {tier}")
    if tier == "national":
        return settings.published_db
    if tier == "public":
        return tiers.public_file(settings.warehouse_dir)
    if not province:
        raise UsageError("--tier province needs --province CODE (e.g. --province P48-2025)")
    path = tiers.province_file(settings.warehouse_dir, province)
    carried = (tiers.carrying_province(settings.published_db, province)
               if not path.exists() and settings.published_db.exists() else None)
    if carried and tiers.province_file(settings.warehouse_dir, carried[0]).exists():
        print(f"kyluat sql: {province} was merged into {carried[0]} on {carried[1]}; opening "
              f"{carried[0]}'s file, which holds {province}'s history", file=sys.stderr)
        return tiers.province_file(settings.warehouse_dir, carried[0])
    if not path.exists():
        known = sorted(p.parent.name for p in (tiers.tiers_dir(settings.warehouse_dir)
                                              / "provinces").glob(f"*/{tiers.PROVINCE_FILE}"))
        raise UsageError(f"no file for province {province!r}; the province files are: "
                         + (", ".join(known) if known else "none yet (run `kyluat run`)"))
    return path


def _release(settings: Settings, name: str):
    from kyluat.releases import ReleaseError, open_release

    try:
        return open_release(settings, name)
    except ReleaseError as exc:
        raise UsageError(str(exc)) from None


def _cmd_release(args: argparse.Namespace) -> int:
    from kyluat.releases import ReleaseError, make_release

    settings = Settings.from_env(warehouse_dir=args.warehouse)
    try:
        release = make_release(settings, args.name, args.as_of)
    except ReleaseError as exc:
        raise UsageError(str(exc)) from None
    meta = release.metadata
    print(f"release {release.name} (cut-off {meta['cut_off']}, run {meta['source_run']}): "
          f"{len(meta['tables'])} tables, {len(meta['files_received'])} files received, "
          f"in {release.path}")
    if (release.path / "diff.txt").exists():
        print(f"changes since the previous release: {release.path / 'diff.txt'}")
    return 0


def _cmd_releases(args: argparse.Namespace) -> int:
    from kyluat.releases import list_releases

    releases = list_releases(Settings.from_env(warehouse_dir=args.warehouse))
    for release in releases:
        meta = release.metadata
        print(f"{release.name}\tcut-off {meta['cut_off']}\tmade {meta['created_at'][:19]}\t"
              f"run {meta['source_run']}\t{release.path}")
    print(f"{len(releases)} release(s)", file=sys.stderr)
    return 0


def _cmd_diff(args: argparse.Namespace) -> int:
    from kyluat.releases import diff_releases

    settings = Settings.from_env(warehouse_dir=args.warehouse)
    for line in diff_releases(_release(settings, args.old), _release(settings, args.new)):
        print(line)
    return 0


def _cut_off(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a date: {text!r}; write YYYY-MM-DD") from None


def _cmd_validate(args: argparse.Namespace) -> int:
    from kyluat.submission_check import check_files

    for name in args.files:
        path = Path(name)
        if path.is_dir():
            raise UsageError(f"{name} is a folder: name the files (e.g. {name}/*.csv)")
        if path.is_symlink() and not path.exists():
            raise UsageError(f"{name} is a link to a missing file; name the file itself")
        if not path.exists():
            raise UsageError(f"{name}: no such file; check the path (relative to "
                             f"{Path.cwd()})")
        if not path.is_file():
            raise UsageError(f"{name} is not a regular file (a pipe or a device); copy the "
                             "submission to a file first")
        if not os.access(path, os.R_OK):
            raise UsageError(f"{name} cannot be read (permission denied); make it readable "
                             "(chmod a+r) or copy it")

    notes: list[str] = []
    problems, tree = check_files([Path(f) for f in args.files], Settings.from_env(), args.kind,
                                 notes)
    for line in notes + problems:
        print(line)
    print(tree, file=sys.stderr)
    print(f"{len(problems)} problem(s) in {len(args.files)} file(s)", file=sys.stderr)
    return 1 if problems else 0


def _cmd_quarantine_report(args: argparse.Namespace) -> int:
    from kyluat.quarantine_report import UnknownUnit, quarantine_report, write_unit_reports

    settings = Settings.from_env(warehouse_dir=args.warehouse)
    if args.out is None:
        lines = quarantine_report(settings, args.file, args.unit)
        for line in lines:
            print(line)
        print(f"{sum(not line.startswith(' ') for line in lines)} open rejection(s)",
              file=sys.stderr)
        return 0
    out = Path(args.out)
    if out.exists() and not out.is_dir():
        raise UsageError(f"--out {args.out} is a file; give a folder to write the units' "
                         "reports into")
    if out.resolve().is_relative_to(settings.landing_dir.resolve()):
        raise UsageError(f"--out {args.out} is inside the landing folder, where the reports "
                         "would be read as submissions; give a folder outside it")
    try:
        written, unnamed = write_unit_reports(settings, out, args.file, args.unit)
    except UnknownUnit:
        raise UsageError(f"--unit {args.unit}: no such unit in the loaded unit tree; give a "
                         "unit code as org_units lists it") from None
    for unit, (path, count) in written.items():
        print(f"{unit}: {count} open rejection(s) in {path}")
    print(f"{len(written)} unit report(s) in {out} (readable by their owner only)"
          + (f"; {unnamed} rejection(s) name no unit of the tree: "
             "kyluat quarantine-report lists them" if unnamed else ""), file=sys.stderr)
    return 0


def _cmd_report(args: argparse.Namespace) -> int:
    from kyluat.report import ReportError, build_report

    settings = Settings.from_env(warehouse_dir=args.warehouse)
    out = Path(args.out) if args.out else settings.report_dir
    if out.exists() and not out.is_dir():
        raise UsageError(f"--out {out} is a file, not a folder; give a folder (it is created "
                         "when missing)")
    try:
        result = build_report(settings.published_db, out, args.province)
    except ReportError as exc:
        if args.province and "not a province" in str(exc):
            raise UsageError(str(exc)) from None
        print(f"kyluat report: {exc}", file=sys.stderr)
        return 1
    for page in result.pages:
        print(page)
    print(f"{len(result.pages)} page(s) in {result.seconds:.1f} s", file=sys.stderr)
    return 0


def _cmd_generate(args: argparse.Namespace) -> int:
    try:
        from synthetic.generate import DEFAULT_SEED, generate
    except ImportError:
        raise UsageError("kyluat generate writes synthetic data from a source checkout (its "
                         "synthetic/ folder); run it there") from None

    if Path(args.out).exists() and not Path(args.out).is_dir():
        raise UsageError(f"--out {args.out} is a file; give a folder to write the landing "
                         "files into")
    counts = generate(Path(args.out), args.scale, args.seed if args.seed is not None
                      else DEFAULT_SEED)
    print(f"SYNTHETIC data: {sum(counts.values()):,} rows in {len(counts)} files under "
          f"{args.out} (see its README.md)")
    return 0


def _cmd_reference_admin_tree(args: argparse.Namespace) -> int:
    from kyluat.admin_tree import write_admin_tree

    path = write_admin_tree(Path(args.out))
    with path.open(encoding="utf-8") as fh:
        versions = sum(1 for _ in fh) - 1
    print(f"{versions:,} unit versions of Vietnam's administrative tree (before and after "
          f"2025-07-01) in {path}")
    return 0


def _positive_scale(text: str) -> float:
    try:
        scale = float(text)
    except ValueError:
        scale = 0.0
    if not scale > 0:
        raise argparse.ArgumentTypeError(f"not a positive number: {text!r}; e.g. 1 (one "
                                         "national year), 10, or 0.1")
    return scale


class UsageError(Exception):
    """A mistake in how kyluat was called: one line saying what to do, exit code 2."""


def build_parser() -> argparse.ArgumentParser:
    # -v is accepted before and after the command (`kyluat -v run`, `kyluat run -v`)
    verbose = argparse.ArgumentParser(add_help=False)
    verbose.add_argument("-v", "--verbose", action="store_true", default=argparse.SUPPRESS,
                         help="log every step")
    parser = argparse.ArgumentParser(prog="kyluat", description=__doc__, parents=[verbose])
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    run = commands.add_parser("run", parents=[verbose],
                              help="materialize everything once; non-zero exit when a "
                                   "blocking check failed")
    run.add_argument("--landing", help="landing directory (default $KYLUAT_LANDING_DIR)")
    run.add_argument("--warehouse", help="warehouse directory (default $KYLUAT_WAREHOUSE_DIR)")
    run.add_argument("--years", type=_year_range, metavar="FIRST:LAST",
                     help="also rebuild these reporting years (a backfill, in one run), "
                          "e.g. 2019:2021 or 2022")
    run.add_argument("--full-refresh", action="store_true",
                     help="rebuild every model from scratch (after a model's columns changed)")
    run.set_defaults(func=_cmd_run)

    sql = commands.add_parser("sql", parents=[verbose],
                              usage="%(prog)s [QUERY] [--tier TIER --province CODE | --release "
                                    "NAME] [--format FORMAT]",
                              help="query the published analytics.duckdb read-only")
    sql.add_argument("query", nargs="?", help="SQL text (read from stdin when omitted)")
    sql.add_argument("--warehouse", metavar="DIR",
                     help="warehouse directory (default $KYLUAT_WAREHOUSE_DIR)")
    sql.add_argument("--format", choices=["table", "csv"], default="table", metavar="FORMAT",
                     help="table (default) or csv")
    sql.add_argument("--tier", choices=["national", "province", "public"], metavar="TIER",
                     help="which published file: national (default), province (with "
                          "--province), public (aggregates under disclosure control)")
    sql.add_argument("--province", metavar="CODE",
                     help="a province's internal file, e.g. P48-2025 (implies --tier province)")
    sql.add_argument("--release", metavar="NAME", help="query this release instead (read-only)")
    sql.set_defaults(func=_cmd_sql)

    release = commands.add_parser("release", parents=[verbose],
                                  help="freeze the published figures as a named, citable "
                                       "release (never rewritten)")
    release.add_argument("name", help="the release's name, e.g. 2024-year-end")
    release.add_argument("--as-of", type=_cut_off, metavar="DATE",
                         help="its cut-off (default today): no file received after it")
    release.add_argument("--warehouse", help="warehouse directory (default "
                                             "$KYLUAT_WAREHOUSE_DIR)")
    release.set_defaults(func=_cmd_release)

    releases = commands.add_parser("releases", parents=[verbose], help="list the releases")
    releases.add_argument("--warehouse", help="warehouse directory (default "
                                              "$KYLUAT_WAREHOUSE_DIR)")
    releases.set_defaults(func=_cmd_releases)

    diff = commands.add_parser("diff", parents=[verbose],
                               help="what changed between two releases, and why")
    diff.add_argument("old")
    diff.add_argument("new")
    diff.add_argument("--warehouse", help="warehouse directory (default $KYLUAT_WAREHOUSE_DIR)")
    diff.set_defaults(func=_cmd_diff)

    validate = commands.add_parser("validate", parents=[verbose],
                                   help="check submission files against the contract without "
                                        "loading them")
    validate.add_argument("files", nargs="+")
    validate.add_argument("--kind", choices=sorted(KINDS), metavar="KIND",
                          help="kind of every file (default: from its folder or name): "
                               + ", ".join(sorted(KINDS)))
    validate.set_defaults(func=_cmd_validate)

    rotate = commands.add_parser("rotate-key", parents=[verbose],
                                 help="re-key every member key with a new random key, then "
                                      "rebuild and publish (docs/hostile_input.md)")
    rotate.add_argument("--new-key-file", required=True,
                        help="file to create with the keys after rotation (mode 600)")
    rotate.add_argument("--landing", help="landing directory (default $KYLUAT_LANDING_DIR)")
    rotate.add_argument("--warehouse", help="warehouse directory (default $KYLUAT_WAREHOUSE_DIR)")
    rotate.set_defaults(func=_cmd_rotate_key)

    report = commands.add_parser("quarantine-report", parents=[verbose],
                                 help="for operators: every open rejection with its full "
                                      "reason and submitted values (never published)")
    report.add_argument("--warehouse", help="warehouse directory (default $KYLUAT_WAREHOUSE_DIR)")
    report.add_argument("--file", help="only files whose path contains this text")
    report.add_argument("--unit", help="only rows naming this unit code (what a submitting "
                                       "unit is sent back)")
    report.add_argument("--out", metavar="DIR",
                        help="write one file per submitting unit (--unit: that one) into DIR, "
                             "readable by their owner only, instead of printing")
    report.set_defaults(func=_cmd_quarantine_report)

    static = commands.add_parser("report", parents=[verbose],
                                 help="draw the published figures as a self-contained HTML "
                                      "report (Vietnamese and English)")
    static.add_argument("--province", metavar="CODE",
                        help="one province's report (all: every province); default the nation")
    static.add_argument("--out", metavar="DIR", help="folder to write (default "
                                                     "<warehouse>/report)")
    static.add_argument("--warehouse", help="warehouse directory (default $KYLUAT_WAREHOUSE_DIR)")
    static.set_defaults(func=_cmd_report)

    generate = commands.add_parser("generate", parents=[verbose],
                                   help="write SYNTHETIC national-scale submissions "
                                        "(for benchmarks)")
    generate.add_argument("--out", required=True, help="landing directory to write")
    generate.add_argument("--scale", type=_positive_scale, required=True,
                          help="national years of data: 1 = one year, 10 = 2015-2024, 0.1 = "
                               "a tenth of a year on a smaller tree")
    generate.add_argument("--seed", type=int, help="same seed, byte-identical files")
    generate.set_defaults(func=_cmd_generate)

    reference = commands.add_parser("reference", parents=[verbose],
                                    help="write reference data as submission files")
    datasets = reference.add_subparsers(dest="dataset", required=True)
    tree = datasets.add_parser("admin-tree", parents=[verbose],
                               help="Vietnam's administrative tree (63 provinces until "
                                    "2025-07-01, 34 from then) as an org_units file")
    tree.add_argument("--out", required=True,
                      help="landing directory to write (the file goes to DIR/org_units/)")
    tree.set_defaults(func=_cmd_reference_admin_tree)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    args.verbose = getattr(args, "verbose", False)
    _log_to_terminal(args.verbose)
    try:
        check_environment(Settings.from_env(warehouse_dir=getattr(args, "warehouse", None)))
        return args.func(args)
    except (UsageError, ConfigError, PseudonymKeyError, lake.LakeError) as exc:
        print(f"kyluat {args.command}: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"kyluat {args.command}: interrupted", file=sys.stderr)
        return 130
    except Exception as exc:
        if args.verbose:
            raise
        path = _keep_traceback(args)
        print(f"kyluat {args.command}: internal error ({type(exc).__name__}: "
              f"{str(exc).strip().splitlines()[0] if str(exc).strip() else 'no message'}); "
              f"the traceback is in {path}, or run again with -v", file=sys.stderr)
        return 1


def _log_to_terminal(verbose: bool) -> None:
    """Log records on standard error, as _TerminalFilter lets them through."""
    root = logging.getLogger()
    for handler in [h for h in root.handlers if getattr(h, "kyluat_terminal", False)]:
        root.removeHandler(handler)  # an earlier call's, in this process
    terminal = logging.StreamHandler(sys.stderr)
    terminal.kyluat_terminal = True
    terminal.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
    terminal.addFilter(_TerminalFilter(verbose))
    root.addHandler(terminal)
    root.setLevel(logging.INFO if verbose else logging.WARNING)
    for name in PROJECT_LOGGERS:
        logging.getLogger(name).setLevel(logging.DEBUG if verbose else logging.NOTSET)
    logging.captureWarnings(True)  # a library's Python warnings are log records like the rest


def _keep_traceback(args: argparse.Namespace) -> Path:
    """An internal error's traceback, appended to <warehouse>/logs/errors.log."""
    text = f"{datetime.now().isoformat(timespec='seconds')} kyluat {args.command}\n" + \
        traceback.format_exc()
    path = Settings.from_env(warehouse_dir=getattr(args, "warehouse", None)).warehouse_dir / \
        "logs" / "errors.log"
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("a", encoding="utf-8") as handle:
            handle.write(text + "\n")
    except OSError:
        path = Path(tempfile.gettempdir()) / "kyluat-errors.log"
        with path.open("a", encoding="utf-8") as handle:
            handle.write(text + "\n")
    return path


def run_from_shell() -> None:
    """The `kyluat` command: main(), its output flushed, then out at once. Tearing down the
    interpreter after a run (Dagster, dbt and their modules) took 5 to 10 silent seconds on a
    loaded machine, with nothing left to do: every file is closed and committed by then, and
    the exit handlers the libraries registered are run first."""
    code = main()
    atexit._run_exitfuncs()  # what the libraries asked for at exit (multiprocessing's clean-up)
    try:
        sys.stdout.flush()
        sys.stderr.flush()
    except OSError:  # a reader that went away (`kyluat sql ... | head`)
        pass
    os._exit(code)


if __name__ == "__main__":
    run_from_shell()
