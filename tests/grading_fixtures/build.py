"""Build tests/grading_fixtures/demo.ipynb: a three-exercise source notebook for the grading
tests (runs in about a second; checks from labkit.checks._demo plus plain nbgrader-style asserts).

    .venv/bin/python tests/grading_fixtures/build.py
"""

from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

HERE = Path(__file__).resolve().parent


def nbg(grade_id, grade, points=None):
    m = {
        "schema_version": 3,
        "grade": grade,
        "solution": not grade,
        "locked": grade,
        "grade_id": grade_id,
    }
    if grade:
        m["points"] = points
    return {"nbgrader": m}


def build() -> Path:
    cells = [
        new_markdown_cell("# Grading demo\nThree tiny exercises.", id="header"),
        new_code_cell(
            "import numpy as np\nimport labkit\nfrom labkit.checks import _demo as checks",
            id="setup",
        ),
        new_code_cell(
            'def square(x):\n    """Elementwise square of an array."""\n    ### BEGIN SOLUTION\n'
            '    return x * x\n    ### END SOLUTION',
            id="demo-square",
            metadata=nbg("demo-square", False),
        ),
        new_code_cell(
            "checks.square(square)\n### BEGIN HIDDEN TESTS\nchecks.square(square, seed=1)\n"
            "assert square(7) == 49\n### END HIDDEN TESTS",
            id="demo-square-test",
            metadata=nbg("demo-square-test", True, 2),
        ),
        new_code_cell("data = np.arange(6.0).reshape(3, 2)", id="data"),
        new_code_cell(
            "def center(X):\n    ### BEGIN SOLUTION\n    return X - X.mean(axis=0)\n"
            "    ### END SOLUTION",
            id="demo-center",
            metadata=nbg("demo-center", False),
        ),
        new_code_cell(
            "labkit.checks._demo.center(center)\nassert np.allclose(center(data).mean(axis=0), 0)\n"
            "### BEGIN HIDDEN TESTS\nchecks.center(center, seed=3)\n### END HIDDEN TESTS",
            id="demo-center-test",
            metadata=nbg("demo-center-test", True, 3),
        ),
        new_code_cell(
            "def count_vowels(s):\n    ### BEGIN SOLUTION\n"
            '    return sum(ch in "aeiou" for ch in s.lower())\n'
            "    ### END SOLUTION",
            id="demo-vowels",
            metadata=nbg("demo-vowels", False),
        ),
        new_code_cell(
            'assert count_vowels("banana") == 3\n### BEGIN HIDDEN TESTS\n'
            'assert count_vowels("AEIOU xyz") == 5\n### END HIDDEN TESTS',
            id="demo-vowels-test",
            metadata=nbg("demo-vowels-test", True, 1),
        ),
        new_markdown_cell("Done.", id="end"),
    ]
    nb = new_notebook(
        cells=cells,
        metadata={
            "kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}
        },
    )
    nbformat.validate(nb)
    path = HERE / "demo.ipynb"
    nbformat.write(nb, path)
    return path


if __name__ == "__main__":
    print("wrote", build())
