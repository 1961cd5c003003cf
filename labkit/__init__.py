"""labkit: the helper package behind the generative-models lab course.

Every notebook starts with ``import labkit; cfg = labkit.setup()``.
"""

__version__ = "0.1.0"

from .config import by_mode, get_device, get_mode, is_fast, seed_everything, setup  # noqa: F401,E402
