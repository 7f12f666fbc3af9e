"""Notifications: in the app (the bell) and by e-mail, written in the transition's transaction."""
