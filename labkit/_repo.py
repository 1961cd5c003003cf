"""The one place that names where the course lives (Colab install line and badges)."""
REPO_URL = "https://github.com/labkit-course/labkit"
REPO_TAG = "v0.1.0"
GITHUB_PATH = "labkit-course/labkit"


def pip_spec() -> str:
    return f"git+{REPO_URL}@{REPO_TAG}"


def colab_url(notebook: str) -> str:
    return f"https://colab.research.google.com/github/{GITHUB_PATH}/blob/{REPO_TAG}/notebooks/{notebook}"
