"""``python -m acrguard``."""

import sys

from acrguard.cli import main

sys.exit(main())
