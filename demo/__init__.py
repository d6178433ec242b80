"""`make demo`: the connection guide, walked end to end on the local stack."""
