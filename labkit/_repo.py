"""The one place that names where the course lives (Colab install line and badges).

Rewritten by ``labkit course set-repo URL --tag TAG`` (then every notebook is rebuilt);
``labkit release --repo URL --tag TAG`` points the student notebooks elsewhere without
touching this file.
"""

REPO_URL = "https://github.com/labkit-course/labkit"
REPO_TAG = "v0.1.0"


def github_path(url: str | None = None) -> str:
    """``https://github.com/owner/name(.git)`` -> ``owner/name`` (what Colab's URLs use)."""
    url = (url or REPO_URL).rstrip("/")
    url = url[:-4] if url.endswith(".git") else url
    return "/".join(url.split("/")[-2:])


GITHUB_PATH = github_path()


def pip_spec(url: str | None = None, tag: str | None = None) -> str:
    return f"git+{url or REPO_URL}@{tag or REPO_TAG}"


def colab_url(notebook: str, url: str | None = None, tag: str | None = None) -> str:
    return (
        f"https://colab.research.google.com/github/{github_path(url)}/blob/{tag or REPO_TAG}"
        f"/notebooks/{notebook}"
    )
