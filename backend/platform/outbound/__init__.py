"""Requests the product makes to addresses users supply (a job posting's URL, a browser's push
endpoint): which destinations are allowed, so a user cannot make the server reach its own network."""
