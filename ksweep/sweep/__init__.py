"""The results folder's owner: every path and file name, records, states, manifest, locks.

Everything that reads or writes a sweep folder goes through this package, so
its format is defined once: :mod:`layout` (names and paths, which folder is
the newest sweep), :mod:`states` (the one trial-state type), :mod:`records`
(the summary, rebuilt from the trials' own files when it is damaged),
:mod:`manifest` (what ran, when, with what, across resumes), :mod:`snapshot`
(the configs a sweep runs), :mod:`trialfiles` (what a trial leaves behind),
:mod:`atomic` (writes no reader sees half of) and :mod:`locks`. No torch.
"""
