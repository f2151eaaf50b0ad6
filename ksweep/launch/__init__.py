"""Running trials: the only code in ksweep that starts processes.

The run loop (:mod:`loop`) asks a sweeper (:mod:`ksweep.sweepers`) what to
run, starts it through a launcher (:mod:`registry` names them: :mod:`local`
for fork/exec on this machine, :mod:`ray_launcher` for Ray, :mod:`slurm` for
Slurm jobs), follows each trial's streamed epochs,
stops one trial or all of them, and tells observers (:mod:`events`) what
happened. :mod:`runner` sets a sweep folder up around the loop. Nothing here
imports the analysis: observers that need it are attached by the CLI.
"""
