"""``labkit`` command line: ``info``, ``release SRC DEST``, ``grade SUBMISSIONS ...``."""

from __future__ import annotations

import argparse
import sys


def main(argv=None) -> int:
    p = argparse.ArgumentParser(prog="labkit", description="labkit course tools")
    sub = p.add_subparsers(dest="cmd", required=True)
    sub.add_parser("info", help="versions, device and data source")
    try:
        from .grading import cli as grading_cli
    except ImportError:
        grading_cli = None
    if grading_cli is not None:
        grading_cli.add_parsers(sub)
    args = p.parse_args(argv)
    if args.cmd == "info":
        from .config import setup
        from .preflight import preflight

        setup()
        preflight()
        return 0
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
