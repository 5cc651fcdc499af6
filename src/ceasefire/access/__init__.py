"""Who may see what: users, roles, clearances and releasability (need-to-know between nations).

Pure: the store applies these rules as SQL filters (``ceasefire.store.access_sql``) and the API
only passes the caller's ``Viewer`` down, so every output path obeys the same rule.
"""
