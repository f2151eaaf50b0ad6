"""``make bench``: what ksweep costs and gains, measured in one run on this machine.

Never asserted in tests: the numbers depend on the machine and its load, so
every comparison is printed as a ratio of two figures measured side by side.
:mod:`overhead` times whole sweeps (per-trial overhead by backend, throughput
by JOBS), :mod:`trainer` the trainer against a plain DataLoader loop.
"""
