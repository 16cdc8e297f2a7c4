"""``python -m leadqual``: the same as the ``leadqual`` command."""

import sys

from leadqual.cli import main

sys.exit(main())
