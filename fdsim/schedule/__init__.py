"""The compiler: workloads lowered into tiled ops with dependencies, and analytic bounds."""
