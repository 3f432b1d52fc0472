"""Run the command line with ``python -m layerwise``."""

from layerwise.cli import main

raise SystemExit(main())
