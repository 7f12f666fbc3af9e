"""Regional assembly sessions: planning, agenda, the record of votes, closing, forwarding."""
