"""The README's example file for each kind passes the contract, as a submitting unit would
check it with `kyluat validate`."""

import re

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
