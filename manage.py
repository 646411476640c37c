#!/usr/bin/env python
"""Dataslot's command-line utility for administrative tasks."""

import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent


def main():
    # platform/ is a source root, not a package (the stdlib `platform` must stay importable).
    sys.path[:0] = [str(ROOT / "platform"), str(ROOT)]
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dataslot_server.settings")
    from django.core.exceptions import ImproperlyConfigured
    from django.core.management import execute_from_command_line

    try:
        execute_from_command_line(sys.argv)
    except ImproperlyConfigured as exc:
        # A setting that cannot work (a DATABASE_URL that cannot be read...): one line, no traceback.
        sys.stderr.write(f"dataslot: {exc}\n")
        sys.exit(1)


if __name__ == "__main__":
    main()
