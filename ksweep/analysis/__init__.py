"""The analysis side of a sweep: statistics over seeds, verdicts, text, tables, plots, reports.

Each module has one job and works on plain data (summary records, per-trial
metric lists), so it can be table-tested: :mod:`metrics` (names, ranges,
which split a metric measures), :mod:`stats` (seed groups, clipped t
intervals, ranking), :mod:`evidence` (what a pair of configurations can and
cannot tell), :mod:`marginals` (per-symbol verdicts), :mod:`findings`
(selection on test, trials at chance, best values at a range edge),
:mod:`cost` (trial time, wall clock over runs, server start-up),
:mod:`words`, :mod:`text` and :mod:`tables` (the sentences, the text, the
CSV and the report), :mod:`plotdata` and :mod:`curvedata` (what the figures
show) and :mod:`compare`. Only the plotting modules draw with matplotlib and
nothing here imports torch; :mod:`report` ties them together with
:func:`~ksweep.analysis.report.write_reports`.
"""
