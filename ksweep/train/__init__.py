"""The training side of ksweep: one config file in, metrics files out.

Run it as ``python -m ksweep.train --config CONFIG --out DIR``. This package's
``__init__`` and :mod:`ksweep.train.settings` / :mod:`ksweep.train.catalog`
stay free of torch so the sweep engine can validate configs cheaply; the
modules that train (trainer, data, optim, prune, ...) import torch.
"""
