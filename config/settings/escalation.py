"""Deadlines, escalation sweeps, outbox and notifications.

Star-imported at the end of base.py; read values through ``env``."""

from config.env import env

# Warn the complainant and the assigned staff this long before a clock runs out.
ESCALATION_WARNING_LEAD_HOURS = env.int("ESCALATION_WARNING_LEAD_HOURS", default=2)
# A resumed clock gets at least this long, so a case never escalates as it resumes.
ESCALATION_RESUME_MINIMUM_MINUTES = env.int("ESCALATION_RESUME_MINIMUM_MINUTES", default=60)
# Cases claimed per transaction by a sweep; queries grow with batches, not with cases.
ESCALATION_SWEEP_BATCH_SIZE = env.int("ESCALATION_SWEEP_BATCH_SIZE", default=1000)
# Connections one large sweep uses at once on PostgreSQL (the first batch on the caller's,
# the rest on helper threads claiming with SKIP LOCKED, like extra workers). 1 turns it off.
ESCALATION_SWEEP_WORKERS = env.int("ESCALATION_SWEEP_WORKERS", default=2)
# Outbox: attempts before giving up (staff can re-queue) and the first retry delay,
# doubled at each attempt up to the maximum.
ESCALATION_OUTBOX_MAX_ATTEMPTS = env.int("ESCALATION_OUTBOX_MAX_ATTEMPTS", default=8)
ESCALATION_OUTBOX_BACKOFF_SECONDS = env.int("ESCALATION_OUTBOX_BACKOFF_SECONDS", default=60)
ESCALATION_OUTBOX_BACKOFF_MAX_SECONDS = env.int(
    "ESCALATION_OUTBOX_BACKOFF_MAX_SECONDS", default=6 * 3600
)
# Try a single email (a receipt, a confirmation) right after its transaction commits; the
# task retries it if that fails. The sweep's bulk notifications always go to the task.
ESCALATION_OUTBOX_SEND_ON_COMMIT = env.bool("ESCALATION_OUTBOX_SEND_ON_COMMIT", default=True)
# Publishing the "drain the outbox" kick: attempts and the first pause (doubling) before the
# kick is left to the beat sweep. Short: it runs in the request that queued the email.
ESCALATION_OUTBOX_KICK_ATTEMPTS = env.int("ESCALATION_OUTBOX_KICK_ATTEMPTS", default=3)
ESCALATION_OUTBOX_KICK_PAUSE_SECONDS = env.float(
    "ESCALATION_OUTBOX_KICK_PAUSE_SECONDS", default=0.2
)
