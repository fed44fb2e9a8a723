"""The core never asks which kind of data it holds (issue #12): no string literal naming a data kind
(a registered ``data.name`` or domain name), no per-kind attribute (``run.table``, ``source.text_state``)
and no ``hasattr`` probe of a kind's method in the trainer, the API, the command line, the run, the
writers, augmentation or the config. Everything of a kind goes through its domain.

    python tests/test_layout.py [ROOT]   # prints the branch sites it finds (0 expected)
"""
import ast
import sys
from pathlib import Path

CORE = ["train", "api.py", "cli.py", "export.py", "augment.py", "config.py", "run.py", "__init__.py"]
KIND_ATTRIBUTES = {"table", "text", "signal", "table_state", "text_state", "signal_state", "categorical_spans",
                   "charmap", "sample_text"}
# every data.name and domain name of 0.1.0 and today (the built-ins), so that an old branch is found too
KIND_NAMES = {"8gaussians", "25gaussians", "swissroll", "points", "mnist", "fashion-mnist", "cifar10", "images",
              "lsun", "table", "tables", "breast-cancer", "text", "python-docs", "billion-word", "signals", "sines"}


def _docstrings(tree: ast.AST) -> set[int]:
    ids = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)) and node.body:
            first = node.body[0]
            if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant):
                ids.add(id(first.value))
    return ids


def branch_sites(source: str, where: str) -> list[str]:
    """``where:line: what`` for each place in ``source`` that names a data kind."""
    tree = ast.parse(source)
    docs, found = _docstrings(tree), []
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docs \
                and node.value in KIND_NAMES:
            found.append(f"{where}:{node.lineno}: the kind {node.value!r}")
        elif isinstance(node, ast.Attribute) and node.attr in KIND_ATTRIBUTES and not (
                isinstance(node.value, ast.Name) and node.value.id == "signal"):       # the signal module
            found.append(f"{where}:{node.lineno}: .{node.attr}")
        elif (isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in ("hasattr", "getattr")
              and len(node.args) > 1 and isinstance(node.args[1], ast.Constant) and node.args[1].value in KIND_ATTRIBUTES):
            found.append(f"{where}:{node.lineno}: {node.func.id}(..., {node.args[1].value!r})")
    return found


def core_files(root: Path) -> list[Path]:
    pkg = root / "src" / "wgangp"
    return sorted(p for c in CORE for p in ([pkg / c] if c.endswith(".py") else (pkg / c).glob("*.py")) if p.exists())


def test_the_core_has_no_branch_on_the_kind_of_data():
    root = Path(__file__).resolve().parents[1]
    sites = [s for f in core_files(root) for s in branch_sites(f.read_text(), str(f.relative_to(root)))]
    assert sites == [], "\n".join(sites)


def test_the_check_finds_the_branches_it_is_for():
    code = ('def f(run, cfg, src):\n    """On points."""\n    if cfg.data.name in ("table", "breast-cancer"):\n'
            '        return run.table\n    return hasattr(src, "text_state")\n')
    assert len(branch_sites(code, "x.py")) == 4       # two names, one attribute, one probe; not the docstring




# the arrows that must never exist (the intended layout): part -> packages it must not import
NEVER = {"train": ("wgangp.domains", "wgangp.api", "wgangp.run", "wgangp.cli"),
         "metrics": ("wgangp.train", "wgangp.api", "wgangp.run", "wgangp.cli"),
         "data": ("wgangp.domains", "wgangp.api", "wgangp.run", "wgangp.cli", "wgangp.train"),
         "nets": ("wgangp.data", "wgangp.domains", "wgangp.train", "wgangp.api"),
         "config.py": ("wgangp.domains", "wgangp.train", "wgangp.api", "wgangp.data", "wgangp.metrics")}


def _imports(source: str) -> list[tuple[int, str]]:
    out = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            out += [(node.lineno, a.name) for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            out += [(node.lineno, node.module)] + [(node.lineno, f"{node.module}.{a.name}") for a in node.names]
    return out


def test_no_import_runs_against_the_layout():
    pkg = Path(__file__).resolve().parents[1] / "src" / "wgangp"
    bad = []
    for part, banned in NEVER.items():
        files = [pkg / part] if part.endswith(".py") else sorted((pkg / part).rglob("*.py"))
        for f in files:
            for line, name in _imports(f.read_text()):
                if name.startswith(banned):
                    bad.append(f"{f.relative_to(pkg)}:{line} imports {name}")
    assert bad == [], "\n".join(bad)


MAX_FUNCTION_LINES, MAX_FILE_LINES = 50, 400


def sizes(root: Path) -> tuple[list[tuple[int, str]], list[tuple[int, str]]]:
    """``(functions, files)`` of the package as ``(lines, name)``, longest first."""
    functions, files = [], []
    for f in sorted((root / "src" / "wgangp").rglob("*.py")):
        text = f.read_text()
        files.append((len(text.splitlines()), str(f.relative_to(root))))
        for node in ast.walk(ast.parse(text)):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                functions.append((node.end_lineno - node.lineno + 1, f"{f.relative_to(root)}:{node.name}"))
    return sorted(functions, reverse=True), sorted(files, reverse=True)


def test_small_pieces():
    functions, files = sizes(Path(__file__).resolve().parents[1])
    assert [f for f in functions if f[0] > MAX_FUNCTION_LINES] == []
    assert [f for f in files if f[0] > MAX_FILE_LINES] == []


if __name__ == "__main__":
    root = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).resolve().parents[1]
    sites = [s for f in core_files(root) for s in branch_sites(f.read_text(), str(f.relative_to(root)))]
    print("\n".join(sites))
    print(f"{len(sites)} branch sites on the kind of data in the core ({len(core_files(root))} files)")
    functions, files = sizes(root)
    print("longest functions: " + ", ".join(f"{name} {n}" for n, name in functions[:4]))
    print("longest files: " + ", ".join(f"{name} {n}" for n, name in files[:4]))
