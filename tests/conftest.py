import os

import matplotlib

matplotlib.use("Agg")
os.environ.setdefault("LABKIT_MODE", "fast")
os.environ.setdefault("LABKIT_OFFLINE", "1")
