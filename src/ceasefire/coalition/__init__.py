"""The coalition and force generation: who pledged what, on which conditions, what is missing.

Pure domain (no database, no CLI): ``model`` (members, declarations, areas, pledges with their
status ladder, CJSOR lines), ``catalogue`` (capabilities, tasks, statuses), ``caveats`` (the
typed caveat vocabulary and the feasibility rules), ``loader`` (YAML with file/line/rule
refusals), ``solver`` + ``milp`` (the HiGHS force-generation model), ``diagnose``
(shortfall reasons), ``whatif`` (single lifts), ``export`` and ``figures`` (outputs).
Persistence is in ``ceasefire.store.coalition``; see ``docs/coalition.md``.
"""
