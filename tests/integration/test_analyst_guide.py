"""Every query of the analyst guide runs on the published sample and returns rows."""

from __future__ import annotations

import re

import duckdb
import pytest

from kyluat.config import REPO_ROOT

pytestmark = pytest.mark.integration

GUIDE = REPO_ROOT / "docs" / "analyst_guide.md"
QUERIES = re.findall(r"```sql\n(.*?)```", GUIDE.read_text(encoding="utf-8"), re.S)


def test_the_guide_has_the_ten_common_questions_and_more():
    assert len(QUERIES) >= 10


@pytest.mark.parametrize("query", QUERIES, ids=[f"q{i + 1}" for i in range(len(QUERIES))])
def test_guide_query_runs_on_the_published_sample(sample_run, query):
    settings, outcome = sample_run
    assert outcome.published
    with duckdb.connect(str(settings.published_db), read_only=True) as con:
        rows = con.execute(query).fetchall()
    assert rows, "the query returned nothing on the sample"
