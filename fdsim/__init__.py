"""fdsim: a cycle-level, bit-true simulator of frequency-domain CNN training accelerators."""

__version__ = "0.1.0"
