"""``python -m rebal`` runs the CLI."""
import sys

from rebal.cli import main

sys.exit(main())
