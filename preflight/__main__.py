"""``python -m preflight`` runs the CLI (use ``python -P`` so the current folder is not on sys.path)."""

from preflight.cli import main

raise SystemExit(main())
