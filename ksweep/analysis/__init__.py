"""The analysis side of a sweep: statistics over seeds, text, tables, plots, reports.

Each module has one job and works on plain data (summary records, per-trial
metric lists), so it can be table-tested. Only :mod:`plots` imports
matplotlib and nothing here imports torch; :mod:`report` ties them together
with :func:`~ksweep.analysis.report.write_reports`.
"""
