"""The SimPy engine and the unit models (the only package that imports simpy)."""
