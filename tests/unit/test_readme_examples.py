"""The README's example file for each kind passes the contract, as a submitting unit would
check it with `kyluat validate`."""

import os
import re
import subprocess
from pathlib import Path

import pytest

from kyluat.config import REPO_ROOT, Settings
from kyluat.contract import KINDS
from kyluat.submission_check import validate_files

EXAMPLES = re.findall(r"```csv (\w+)\n(.*?)```", (REPO_ROOT / "README.md").read_text("utf-8"),
                      re.S)


def test_there_is_an_example_for_every_kind():
    assert sorted(kind for kind, _ in EXAMPLES) == sorted(KINDS)


def test_every_example_passes_the_contract(tmp_path):
    files = []
    for kind, text in EXAMPLES:
        path = tmp_path / kind / "example.csv"
        path.parent.mkdir()
        path.write_text(text, encoding="utf-8")
        files.append(path)
    settings = Settings(landing_dir=tmp_path / "landing", warehouse_dir=tmp_path / "none")
    assert validate_files(files, settings) == []


# --- every shell command of the README and docs/, run as written --------------------------

DOCUMENTS = [REPO_ROOT / "README.md", *sorted((REPO_ROOT / "docs").glob("*.md"))]

NOT_RUN = {
    "cp party_units.csv warehouse/landing/org_units/":
        "copies the reader's own file of party units, which only they have",
    ".venv/bin/kyluat run":
        "after the line above: a pipeline run on the national tree and the reader's units "
        "(tests/integration/test_admin_tree.py runs the tree through the pipeline); in the "
        "DuckLake block, a worker's run on the catalog's PostgreSQL "
        "(tests/integration/test_ducklake.py runs two)",
    ".venv/bin/kyluat rotate-key --new-key-file /etc/kyluat/pseudonym.2027.key":
        "re-keys and rebuilds in full (tests/integration/test_hostile_input.py runs it)",
}
"""Commands shown but not run here, and why; `make` targets are not run either (CI runs
`make setup`, `make lint` and `make test`; `make demo` is what the tests' sample run does)."""

STDIN = {".venv/bin/duckdb -readonly warehouse/analytics.duckdb":
         "select count(*) as members from marts.fct_member_discipline;\n"}
"""What an interactive command is given on standard input."""

SERVER_FOLDERS = ("/etc/kyluat", "/srv/kyluat")
"""The operator's folders (keys, unit reports): folders of the test here."""


def shell_blocks(path: Path) -> list[list[str]]:
    """The commands of each of the document's ```bash blocks: a quoted text may span lines,
    and a comment after `#` is dropped."""
    blocks = []
    for block in re.findall(r"```bash\n(.*?)```", path.read_text("utf-8"), re.S):
        commands, pending = [], ""
        for line in block.splitlines():
            pending = f"{pending}\n{line}" if pending else line
            if pending.count('"') % 2 or pending.count("'") % 2:
                continue  # a quoted text goes on
            command = re.sub(r"\s+#.*$", "", pending).strip()
            pending = ""
            if command:
                commands.append(command)
        blocks.append(commands)
    return blocks


def runnable(commands: list[str]) -> list[str]:
    return [c for c in commands if not c.startswith("make ") and c not in NOT_RUN]


RUNNABLE_BLOCKS = {f"{doc.name} block {number}": runnable(block)
                   for doc in DOCUMENTS for number, block in enumerate(shell_blocks(doc), 1)
                   if runnable(block)}


def test_every_skipped_command_is_still_shown():
    shown = {c for doc in DOCUMENTS for block in shell_blocks(doc) for c in block}
    assert set(NOT_RUN) <= shown, set(NOT_RUN) - shown  # else the list is stale
    assert len(RUNNABLE_BLOCKS) >= 5


@pytest.mark.integration
@pytest.mark.parametrize("block", list(RUNNABLE_BLOCKS))
def test_the_commands_of_a_document_run_as_written(block, sample_copy, tmp_path):
    """In a folder laid out as the repository is for a reader after `make demo`: `.venv`, the
    published sample as `warehouse/`, the file the validation example names (the README's
    member_disciplines example); a block's commands run one after the other."""
    root = tmp_path / "reader"
    root.mkdir()
    (root / ".venv").symlink_to(REPO_ROOT / ".venv")
    (root / "warehouse").symlink_to(sample_copy.warehouse_dir)
    (root / "member_disciplines").mkdir()
    (root / "member_disciplines" / "2024_q1.csv").write_text(
        dict(EXAMPLES)["member_disciplines"], encoding="utf-8")
    key_folder = tmp_path / "etc" / "kyluat"
    env = {name: value for name, value in os.environ.items()
           if not name.startswith(("KYLUAT_", "VIRTUAL_ENV"))}
    env.update(KYLUAT_WAREHOUSE_DIR=str(root / "warehouse"),  # the default, seen from the root
               KYLUAT_DAGSTER_STORAGE=os.environ["KYLUAT_DAGSTER_STORAGE"],
               KYLUAT_PSEUDONYM_KEY=os.environ["KYLUAT_PSEUDONYM_KEY"])
    for shown in RUNNABLE_BLOCKS[block]:
        command = shown
        for folder in SERVER_FOLDERS:
            command = command.replace(folder, f"{tmp_path}{folder}")
        result = subprocess.run(["bash", "-c", command], cwd=root, env=env, text=True,
                                input=STDIN.get(shown, ""), capture_output=True, timeout=120)
        output = result.stdout + result.stderr
        assert result.returncode == 0, (command, output)
        assert "Traceback" not in output, (command, output)
        if "decision_year" in command or shown in STDIN:
            assert "members" in result.stdout, (command, output)
        if "admin-tree" in command:
            assert (root / "warehouse" / "landing" / "org_units" /
                    "vietnam_admin_units.csv").is_file()
        if "token_hex" in command:
            assert len((key_folder / "pseudonym.key").read_text().strip()) == 64
        if "quarantine-report --out" in command:
            assert (tmp_path / "srv" / "kyluat" / "unit-reports").is_dir()
