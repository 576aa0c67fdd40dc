"""Administration of accounts (SPEC §4 row *admin*): role `admin` only."""
