"""Email plumbing without a framework: building messages, sending them over SMTP (aiosmtplib), and
the local mail catcher of `make dev` (aiosmtpd, `.eml` files under DATA_DIR/mail)."""
