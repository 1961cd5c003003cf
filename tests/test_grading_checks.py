"""Every check in labkit.checks accepts a seed (so a hidden test can vary the cases) and builds its
cases with its own generator, never by reseeding torch or numpy globally (which would change the
student's notebook state and make a hidden test depend on the cells before it)."""

from __future__ import annotations

import importlib
import inspect
import pkgutil
import re
from pathlib import Path

import pytest

import labkit.checks

MODULES = [m.name for m in pkgutil.iter_modules(labkit.checks.__path__) if m.name != "_core"]
CHECKS = [
    (mod, name, fn)
    for mod in MODULES
    for name, fn in vars(importlib.import_module(f"labkit.checks.{mod}")).items()
    if callable(fn) and getattr(fn, "exercise_name", None)
]


def test_there_are_checks():
    assert len(CHECKS) >= 10


@pytest.mark.parametrize("mod,name,fn", CHECKS, ids=[f"{m}.{n}" for m, n, _ in CHECKS])
def test_check_accepts_a_seed(mod, name, fn):
    params = inspect.signature(inspect.unwrap(fn)).parameters
    assert {"seed", "seeds"} & set(params), (
        f"labkit.checks.{mod}.{name} ({fn.exercise_name}) takes no seed/seeds argument: "
        "a hidden test "
        "cannot run it on other cases"
    )


@pytest.mark.parametrize("mod", MODULES)
def test_checks_do_not_reseed_globally(mod):
    # labkit.checks.<lab> re-exports the checks that live in the lab's package: read both files
    files = {Path(inspect.getsourcefile(importlib.import_module(f"labkit.checks.{mod}")))}
    files |= {Path(inspect.getsourcefile(inspect.unwrap(fn))) for m, _, fn in CHECKS if m == mod}
    text = "\n".join(f.read_text() for f in sorted(files))
    bad = re.findall(
        r"torch\.manual_seed\(|np\.random\.seed\(|random\.seed\(|torch\.random\.manual_seed\(", text
    )
    assert not bad, (
        f"labkit.checks.{mod} ({sorted(f.name for f in files)}) reseeds globally ({bad}): "
        "use torch.Generator / np.random.default_rng(seed)"
    )
