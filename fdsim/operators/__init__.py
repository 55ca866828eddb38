"""The operator registry: one module per primitive of the network graph, each holding
everything fdsim knows of it — the hardware units it needs, its float64 and bit-true forward
and backward, what its backward needs stashed, whether it is affine, and (for elementwise
operators on the stream units) the actions its compiled ops perform. The network lowering
(:mod:`fdsim.network.lowering`) builds them, the compiler and the simulator price them, the
numerical model runs them. :mod:`fdsim.operators.registry` names the open families (pooling
methods). See docs/ADDING_AN_OPERATOR.md."""
