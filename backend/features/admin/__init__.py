"""Administration of accounts: role `admin` only."""
