"""Every `from labkit... import name` in benchmarks/*.py resolves. Most sit inside functions, so a
moved module would otherwise surface only when a reference is rebuilt or a benchmark rerun."""

import ast
import importlib
from pathlib import Path

import pytest

BENCHMARKS = sorted((Path(__file__).resolve().parent.parent / "benchmarks").glob("*.py"))


def _labkit_imports(path):
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("labkit"):
            for alias in node.names:
                yield node.lineno, node.module, alias.name
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.startswith("labkit"):
                    yield node.lineno, alias.name, None


@pytest.mark.parametrize("path", BENCHMARKS, ids=lambda p: p.name)
def test_benchmark_labkit_imports_resolve(path):
    bad = []
    for line, module, name in _labkit_imports(path):
        try:
            mod = importlib.import_module(module)
        except ImportError as e:
            bad.append(f"{path.name}:{line}: {module}: {e}")
            continue
        if name is not None and not hasattr(mod, name):
            try:
                importlib.import_module(f"{module}.{name}")
            except ImportError:
                bad.append(f"{path.name}:{line}: {module} has no {name}")
    assert not bad, "\n".join(bad)
