"""The nominee's own consent to personal data processing, given through a single-use link."""
