"""The network a workload describes, lowered once into a chain of primitive operators
(:mod:`fdsim.network.lowering`, its types in :mod:`fdsim.network.graph`); the compiler (cost)
and the numerical model (float64 and bit-true) both read it. Importing the package imports
nothing: use its modules."""
