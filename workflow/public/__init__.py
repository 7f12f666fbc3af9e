"""What needs no account: the nominee's status check by reference code and birth date."""
