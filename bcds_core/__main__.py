"""``python -m bcds_core``: the command line."""

import sys

from bcds_core.cli import main

sys.exit(main())
