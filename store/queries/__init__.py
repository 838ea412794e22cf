"""Query functions per aggregate: each takes an Session, never commits.

The caller (an SMTP transaction, a worker job, an API request) owns the unit of work.
Functions raise the layer-neutral errors of `store.errors`, never HTTP exceptions.
"""
