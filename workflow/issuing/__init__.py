"""Issuing memberships in the background: a batch per Chairman's order, one item per nomination."""
