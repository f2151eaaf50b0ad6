"""ksweep: Kconfig-driven hyperparameter sweeps for PyTorch."""

__version__ = "0.1.0"
