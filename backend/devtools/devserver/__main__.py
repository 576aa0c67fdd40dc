"""`python -m backend.devtools.devserver`: run the local supervisor until Ctrl-C / SIGTERM."""

import sys

from backend.devtools.devserver import supervisor

if __name__ == "__main__":
    sys.exit(supervisor.main())
