"""labkit's notebooks under plain nbgrader (0.9.6): the course config, and reading the gradebook.

``labkit nbgrader-config [FOLDER]`` writes ``nbgrader_config.py`` (:data:`CONFIG`): the course id,
and nbconvert's ``TagRemovePreprocessor`` in front of ``generate_assignment``'s own preprocessors,
so the instructor-only claim cells (tag ``claim``) never reach the release, as with
``labkit release``. The rest is nbgrader as it ships: solutions become ``raise
NotImplementedError()`` (markdown answers ``YOUR ANSWER HERE``), hidden tests are removed, and
``autograde`` re-inserts the locked test cells (hidden parts included) before it runs a
submission. A test cell scores its points when it raises nothing: every hidden part asserts, so
a blank or wrong answer scores 0 with no environment variable set.
"""

from __future__ import annotations

from pathlib import Path

CONFIG = '''\
# nbgrader configuration for the labkit course (written by `labkit nbgrader-config`).
# Put the source notebooks in source/<assignment>/ next to this file, then:
#   nbgrader generate_assignment <assignment> --force     (student notebooks in release/)
#   nbgrader autograde <assignment> --force               (submitted/<student>/<assignment>/*.ipynb)
from nbconvert.preprocessors import TagRemovePreprocessor
from nbgrader.converters.generate_assignment import GenerateAssignment

c = get_config()  # noqa: F821 (defined by traitlets when nbgrader loads this file)
c.CourseDirectory.course_id = {course_id!r}

# Claim cells (tag "claim") assert the prose's claims for the instructor: drop them first,
# before nbgrader records the cells of the assignment.
c.TagRemovePreprocessor.enabled = True
c.TagRemovePreprocessor.remove_cell_tags = {{"claim"}}
c.GenerateAssignment.preprocessors = [TagRemovePreprocessor] + \
GenerateAssignment.preprocessors.default()

# Fast mode runs every cell of a notebook in well under this on a CPU (set LABKIT_MODE=fast
# in the environment that runs `nbgrader autograde`).
c.Execute.timeout = {timeout}
'''


def config_text(course_id: str = "labkit", timeout: int = 300) -> str:
    return CONFIG.format(course_id=course_id, timeout=int(timeout))


def write_config(folder, course_id: str = "labkit", timeout: int = 300) -> Path:
    """Write ``FOLDER/nbgrader_config.py``; returns its path."""
    path = Path(folder) / "nbgrader_config.py"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(config_text(course_id, timeout))
    return path


def gradebook_points(course_dir, assignment: str) -> dict[tuple[str, str, str], float | None]:
    """``(student, notebook, grade_id) -> auto score`` from nbgrader's gradebook after
    ``autograde`` (None for manually graded cells, which autograde does not score)."""
    from nbgrader.api import Gradebook

    course_dir = Path(course_dir)
    out = {}
    with Gradebook(f"sqlite:///{course_dir / 'gradebook.db'}") as gb:
        for sub in gb.assignment_submissions(assignment):
            for nb in sub.notebooks:
                for grade in nb.grades:
                    manual = grade.cell.cell_type == "markdown" or (grade.auto_score is None)
                    out[(sub.student.id, nb.name, grade.name)] = (
                        None if manual else float(grade.auto_score)
                    )
    return out
