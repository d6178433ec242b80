"""HTTP routes, grouped in Powertools Routers; each function includes the ones it serves."""
