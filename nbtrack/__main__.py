"""`python -m nbtrack`: the command line."""

import sys

from nbtrack.cli import main

sys.exit(main())
