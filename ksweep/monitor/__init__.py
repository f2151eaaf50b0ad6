"""What a person sees of a sweep while it runs and from another terminal.

The observers the CLI attaches to the run loop (:mod:`observers`: the
summary, the progress lines, the heartbeat, the analysis refresh, the
decision log), the live block drawn in place on a terminal (:mod:`live`),
the live numbers they share (:mod:`progress`), and the
read-only views of a sweep folder: ``make sweep-status`` (:mod:`status`) and
``make sweep-estimate`` (:mod:`estimate`).
"""
