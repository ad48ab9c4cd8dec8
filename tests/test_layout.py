"""The layout holds: dependencies point one way (import-linter's contracts in pyproject.toml),
no module imports one that imports it back, every package says what it is, and modules stay a
size a reader can hold."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import grimp
import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("bot", "handlers", "storage")


def source_files() -> list[Path]:
    return [
        path
        for package in PACKAGES
        for path in sorted((ROOT / package).rglob("*.py"))
        if "versions" not in path.parts
    ]


def test_the_import_contracts_are_kept():
    lint_imports = Path(sys.executable).with_name("lint-imports")
    result = subprocess.run(
        [str(lint_imports), "--no-cache"], cwd=ROOT, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stdout + result.stderr


def circles(imports: dict[str, set[str]]) -> list[list[str]]:
    """The groups of modules that import each other, directly or through others (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def visit(module: str) -> None:
        index[module] = low[module] = len(index)
        stack.append(module)
        for imported in imports[module]:
            if imported not in index:
                visit(imported)
                low[module] = min(low[module], low[imported])
            elif imported in stack:
                low[module] = min(low[module], index[imported])
        if low[module] == index[module]:
            group = []
            while True:
                member = stack.pop()
                group.append(member)
                if member == module:
                    break
            if len(group) > 1:
                found.append(sorted(group))

    for module in imports:
        if module not in index:
            visit(module)
    return found


def test_circles_are_found_when_there_are_some():
    assert circles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert circles({"a": {"b"}, "b": set()}) == []


def test_no_module_imports_one_that_imports_it_back():
    graph = grimp.build_graph(*PACKAGES, cache_dir=None)
    modules = {m for m in graph.modules if ".versions." not in m}
    imports = {m: graph.find_modules_directly_imported_by(m) & modules for m in modules}
    assert circles(imports) == []


def test_imports_inside_functions_say_why():
    unexplained = []
    for path in source_files():
        lines = path.read_text().splitlines()
        tree = ast.parse("\n".join(lines))
        explained_by_docstring = "start-up cost" in (ast.get_docstring(tree) or "")
        for function in ast.walk(tree):
            if not isinstance(function, ast.FunctionDef | ast.AsyncFunctionDef):
                continue
            for node in ast.walk(function):
                is_import = isinstance(node, ast.Import | ast.ImportFrom)
                if is_import and not (explained_by_docstring or "#" in lines[node.lineno - 1]):
                    unexplained.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    assert unexplained == []


@pytest.mark.parametrize(
    "package",
    sorted({p.parent for p in source_files() if p.name == "__init__.py"}),
    ids=lambda p: str(p.relative_to(ROOT)),
)
def test_every_package_says_what_it_is(package: Path):
    docstring = ast.get_docstring(ast.parse((package / "__init__.py").read_text()))
    assert docstring and len(docstring.split()) >= 8


def test_modules_stay_readable_and_packages_small():
    long_modules = [
        f"{path.relative_to(ROOT)}: {count} lines"
        for path in source_files()
        if (count := len(path.read_text().splitlines())) > 320
    ]
    crowded = [
        f"{package.relative_to(ROOT)}: {count} modules"
        for package in {p.parent for p in source_files()}
        if (count := len([p for p in package.glob("*.py") if p.name != "__init__.py"])) > 12
    ]
    assert (long_modules, crowded) == ([], [])
