"""Launching trials: the only part of ksweep that starts processes."""
