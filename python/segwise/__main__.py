"""``python -m segwise`` is the ``segwise`` command."""

import sys

from .cli import main

sys.exit(main())
