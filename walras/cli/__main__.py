"""`python -m walras.cli`: the same as the `walras` command."""

import sys

from . import main

sys.exit(main())
