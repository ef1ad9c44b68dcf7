"""``python -m fusion_core``: see ``fusion_core.cli``."""

import sys

from .cli import main

sys.exit(main())
