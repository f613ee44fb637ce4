"""Demo data: a fictional member network and its convenings, loaded by `flask seed-demo`."""
