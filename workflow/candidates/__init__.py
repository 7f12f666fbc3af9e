"""The person: one module finds, creates and updates a candidate (and one form part holds
the candidate's fields for every entry form)."""
