"""``labkit course set-repo URL --tag TAG``: make a fork the course's home.

``labkit/_repo.py`` is the one place that names the repository and tag that every Open-in-Colab
badge and the setup cell's install line use. This rewrites its two constants and rebuilds every
notebook from its source (``tools/nbbuild.py``), so the badges and install lines follow; the
README's badge table is rewritten too.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

URL_RE = re.compile(r"^https?://[^\s/]+/[^\s/]+/[^\s/]+?(\.git)?/?$")
TAG_RE = re.compile(r"^[A-Za-z0-9._/-]+$")


def course_root() -> Path:
    """The checkout that holds this labkit (where tools/nbbuild.py lives)."""
    return Path(__file__).resolve().parent.parent.parent


def rewrite_repo_file(path: Path, url: str, tag: str) -> str:
    """Set ``REPO_URL`` and ``REPO_TAG`` in ``_repo.py``; returns the new text."""
    if not URL_RE.match(url):
        raise ValueError(f"{url!r} is not a repository URL like https://github.com/OWNER/NAME")
    if not TAG_RE.match(tag):
        raise ValueError(f"{tag!r} is not a tag or branch name")
    text = path.read_text()
    for name, value in (("REPO_URL", url.rstrip("/")), ("REPO_TAG", tag)):
        text, n = re.subn(
            rf"^{name} = .*$", f"{name} = {value!r}".replace("'", '"'), text, count=1, flags=re.M
        )
        if n != 1:
            raise ValueError(f"{path} has no line '{name} = ...'")
    path.write_text(text)
    return text


def set_repo(url: str, tag: str, root: Path | None = None, build: bool = True) -> list[str]:
    """Rewrite ``labkit/_repo.py`` under ``root`` and rebuild the notebooks; returns the log
    lines."""
    root = Path(root) if root else course_root()
    repo_file, builder = root / "labkit" / "_repo.py", root / "tools" / "nbbuild.py"
    if not repo_file.is_file():
        raise FileNotFoundError(f"{repo_file} not found: run this in a checkout of the course")
    rewrite_repo_file(repo_file, url, tag)
    log = [f"{repo_file}: REPO_URL = {url}, REPO_TAG = {tag}"]
    readme = root / "README.md"
    if readme.is_file():  # the README's badge table
        from .release import point_at

        old = readme.read_text()
        new = point_at(old, url.rstrip("/"), tag)
        if new != old:
            readme.write_text(new)
            log.append(f"{readme}: Colab badges and install lines now point at {url}@{tag}")
    if build:
        if not builder.is_file():
            raise FileNotFoundError(f"{builder} not found: cannot rebuild the notebooks")
        r = subprocess.run([sys.executable, str(builder)], cwd=root, capture_output=True, text=True)
        if r.returncode:
            raise RuntimeError(f"rebuilding the notebooks failed:\n{r.stdout}{r.stderr}")
        log += r.stdout.splitlines() or ["notebooks already up to date"]
    return log
