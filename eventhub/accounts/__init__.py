"""Back-office accounts (sign-in arrives with the back office)."""
