"""The exercise slice the nbgrader round trip grades: the setup cell, answer and test cells, and the
earlier cells that define a name they read (function parameters and locals are not reads)."""

from __future__ import annotations

from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from labkit.grading.roundtrip import _names, exercise_slice


def nbg(gid, grade, solution):
    m = {
        "schema_version": 3,
        "grade": grade,
        "solution": solution,
        "locked": grade and not solution,
        "grade_id": gid,
    }
    if grade:
        m["points"] = 1
    return {"nbgrader": m}


def test_names_ignore_parameters_locals_and_comprehension_variables():
    binds, uses = _names(
        "import torch\ndef f(x, *a, k=K0):\n    y = x + a[0]\n    return [i * y for i in G]\n"
        "z = f(1)\n%time f(2)"
    )
    assert binds == {"torch", "f", "z"}
    assert {"K0", "G"} <= uses and not {"x", "y", "i", "a"} & uses


def test_slice_keeps_what_the_exercises_read():
    cells = [
        new_markdown_cell("# t"),
        new_code_cell("import labkit\ncfg = labkit.setup(seed=0)"),
        new_code_cell("import torch\nscale = 2.0"),  # read by the answer
        new_code_cell("model = train_for_an_hour()"),  # nobody reads model
        new_code_cell("x = torch.ones(3)"),  # only a parameter is called x
        new_code_cell(
            "def f(x):\n    ### BEGIN SOLUTION\n    return scale * x\n    ### END SOLUTION",
            metadata=nbg("f", False, True),
        ),
        new_code_cell("assert f(torch.ones(1)) == 2", metadata={**nbg("f-test", True, False)}),
        new_code_cell("assert False, 'claim'", metadata={"tags": ["claim"]}),
        new_markdown_cell(
            "Why?\n### BEGIN SOLUTION\nBecause.\n### END SOLUTION", metadata=nbg("q", True, True)
        ),
        new_code_cell("plot(model)"),  # after the last test
    ]
    kept = exercise_slice(new_notebook(cells=cells)).cells
    assert [c.source.splitlines()[0] for c in kept] == [
        "# t",
        "import labkit",
        "import torch",
        "def f(x):",
        "assert f(torch.ones(1)) == 2",
        "Why?",
    ]
