"""The case lifecycle: how long a resolution stays open to reopening, and how long staff
wait for the complainant before treating a fulfilled case as resolved.

Star-imported at the end of base.py; read values through ``env``.
"""

from datetime import timedelta

from config.env import env

# A resolved case may be reopened by the complainant for this many days, then it closes.
CASE_REOPEN_WINDOW_DAYS = env.int("CASE_REOPEN_WINDOW_DAYS", default=30)
# Staff may mark a case resolved (with a reason) only once the complainant has said nothing
# for this many days after the respondent's fulfilment.
CASE_STAFF_RESOLVE_SILENCE_DAYS = env.int("CASE_STAFF_RESOLVE_SILENCE_DAYS", default=7)

# Smart dispatch (casework/dispatch.py): an order of at least this many yuan is tagged
# "large amount" and handled sooner.
DISPATCH_LARGE_AMOUNT = env.int("DISPATCH_LARGE_AMOUNT", default=500)

# Red flags for a person to look at (casework/redflags.py), never an automatic block:
# a merchant with this many invalid-card-key complaints, a platform with this many
# unanswered overdue cases (the circuit-breaker watchlist), a complainant with this many
# complaints ended unresolved (withdrawn, given up, closed on request).
REDFLAG_MERCHANT_INVALID_KEYS = env.int("REDFLAG_MERCHANT_INVALID_KEYS", default=3)
REDFLAG_PLATFORM_OVERDUE = env.int("REDFLAG_PLATFORM_OVERDUE", default=20)
REDFLAG_COMPLAINANT_ENDED = env.int("REDFLAG_COMPLAINANT_ENDED", default=3)

# Collective cases (casework/collective.py): open cases against one platform with one
# problem type, filed within this many days of each other, at least this many of them,
# are suggested for grouping; a supervisor confirms. The suggestions read at most the
# newest COLLECTIVE_SCAN_LIMIT ungrouped open cases (one query, whatever the table's size).
COLLECTIVE_WINDOW = timedelta(days=env.int("COLLECTIVE_WINDOW_DAYS", default=7))
COLLECTIVE_MIN_CASES = env.int("COLLECTIVE_MIN_CASES", default=3)
COLLECTIVE_SCAN_LIMIT = env.int("COLLECTIVE_SCAN_LIMIT", default=5000)
