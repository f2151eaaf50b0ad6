"""What to run: sweepers propose trials and hear their results and their epochs.

A sweeper is asked for the next trial whenever a slot is free, and told each
streamed epoch and each final record; the run loop in
:mod:`ksweep.launch.loop` never needs to know how it chooses. The grid (from
a range file) and the configs of a folder (``sweep-run``) are fixed lists;
sampled and model-based searches decide as results come in.
"""
