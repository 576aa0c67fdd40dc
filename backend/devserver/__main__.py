"""`python -m backend.devserver`: run the local supervisor until Ctrl-C / SIGTERM."""

import sys

from backend.devserver import supervisor

if __name__ == "__main__":
    sys.exit(supervisor.main())
