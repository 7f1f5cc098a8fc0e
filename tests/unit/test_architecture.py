"""Dependencies run one way: orchestration/ uses kyluat/ and data_quality/, never the reverse,
the library does not reach into the Great Expectations layer either, and neither imports the
synthetic data writers (synthetic/)."""

from __future__ import annotations

import ast

import pytest

from kyluat.config import REPO_ROOT


def imported_modules(package: str) -> dict[str, set[str]]:
    """Every module each file of `package` imports, at any depth (function-level too)."""
    found = {}
    for path in sorted((REPO_ROOT / package).rglob("*.py")):
        names = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                names |= {alias.name for alias in node.names}
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names.add(node.module)
        found[path.relative_to(REPO_ROOT).as_posix()] = names
    return found


@pytest.mark.parametrize(("package", "forbidden"), [
    ("kyluat", ("orchestration", "data_quality", "synthetic")),
    ("data_quality", ("orchestration", "synthetic")),
])
def test_lower_layers_never_import_higher_ones(package, forbidden):
    offending = {path: sorted(n for n in names if n.split(".")[0] in forbidden)
                 for path, names in imported_modules(package).items()}
    assert {path: names for path, names in offending.items() if names} == {}


def test_the_walk_sees_function_level_imports():
    """The check would be blind if it missed imports inside functions (as the CLI uses)."""
    cli = imported_modules("orchestration")["orchestration/cli.py"]
    assert "orchestration.pipeline" in cli and "kyluat.submission_check" in cli


def test_the_synthetic_data_writers_are_not_shipped():
    """The sample writer and the generator (synthetic/) live beside the runtime packages, out
    of the wheel; the runtime never imports them (above)."""
    import tomllib

    wheel = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    packages = wheel["tool"]["hatch"]["build"]["targets"]["wheel"]["packages"]
    assert "synthetic" not in packages and {"kyluat", "orchestration"} <= set(packages)
    assert not (REPO_ROOT / "kyluat" / "generate.py").exists()
    assert (REPO_ROOT / "synthetic" / "quang_nam.py").exists()
