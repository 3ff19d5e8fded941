"""``python -m papershelf``."""

from papershelf.entry import main

raise SystemExit(main())
