"""Generation: a range file becomes numbered, resolved, checked configurations.

parse (:mod:`ranges`) -> type and resolve through Kconfig (:mod:`resolve`,
:mod:`kconfig`, the only kconfiglib user) -> combinations (:mod:`expand`) ->
impossible combinations skipped (:mod:`ksweep.train.rules`) -> pre-flight
through the trainer's own checks (:mod:`preflight`, :mod:`paths`) -> dedupe
(:mod:`build`) -> ``sweep_configs/`` (:mod:`materialize`). Every problem of
every stage is collected and reported as ``file:line: error:`` before
anything is written. Nothing here imports torch.
"""
