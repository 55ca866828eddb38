"""A systolic array as SCALE-Sim 3.0 models it (placeholder until the model lands)."""
