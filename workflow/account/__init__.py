"""Member accounts: the invitation link, password reset by e-mail, the profile."""
