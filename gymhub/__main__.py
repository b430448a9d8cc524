"""`python -m gymhub` runs the command line."""

from gymhub.cli import main

raise SystemExit(main())
