"""Deadlines, escalation sweeps, outbox and notifications.

Star-imported at the end of base.py; read values through ``env``."""

from config.env import env

# Warn the complainant and the assigned staff this long before a clock runs out.
ESCALATION_WARNING_LEAD_HOURS = env.int("ESCALATION_WARNING_LEAD_HOURS", default=2)
# A resumed clock gets at least this long, so a case never escalates as it resumes.
ESCALATION_RESUME_MINIMUM_MINUTES = env.int("ESCALATION_RESUME_MINIMUM_MINUTES", default=60)
# An outside tier (12315 / Black Cat, an Alipay complaint) runs on the outside body's clock,
# which starts when the complainant files there: remind them after this many days.
ESCALATION_OUTSIDE_FILE_WITHIN_DAYS = env.int("ESCALATION_OUTSIDE_FILE_WITHIN_DAYS", default=3)
# Payment channels that publish no complaint deadline (bank cards, balances, others) and
# an Alipay complaint recorded without its expiry: the resolution clock in hours.
ESCALATION_PAYMENT_OTHER_HOURS = env.int("ESCALATION_PAYMENT_OTHER_HOURS", default=72)
# Cases claimed per transaction by a sweep batch; queries grow with batches, not with cases.
# The beat task counts the due stages and enqueues one ``casework.sweep_batch`` task per
# batch, so a large sweep spreads over every Celery worker (add workers to go faster);
# each batch claims its own cases with SKIP LOCKED.
ESCALATION_SWEEP_BATCH_SIZE = env.int("ESCALATION_SWEEP_BATCH_SIZE", default=1000)
# Outbox: attempts before giving up (staff can re-queue) and the first retry delay,
# doubled at each attempt up to the maximum.
ESCALATION_OUTBOX_MAX_ATTEMPTS = env.int("ESCALATION_OUTBOX_MAX_ATTEMPTS", default=8)
ESCALATION_OUTBOX_BACKOFF_SECONDS = env.int("ESCALATION_OUTBOX_BACKOFF_SECONDS", default=60)
ESCALATION_OUTBOX_BACKOFF_MAX_SECONDS = env.int(
    "ESCALATION_OUTBOX_BACKOFF_MAX_SECONDS", default=6 * 3600
)
# Rows (emails or webhook deliveries) one drain attempts before the task re-enqueues
# itself, so a backlog never starves newer mail; and how long a claimed email is left
# alone before another drain may try it again (a worker died while sending).
OUTBOX_BATCH_SIZE = env.int("OUTBOX_BATCH_SIZE", default=100)
OUTBOX_LEASE_SECONDS = env.int("OUTBOX_LEASE_SECONDS", default=300)
# Try a single email (a receipt, a confirmation) right after its transaction commits; the
# task retries it if that fails. The sweep's bulk notifications always go to the task.
# Publishing the "drain the outbox" kick: attempts and the first pause (doubling) before the
# kick is left to the beat sweep. Short: it runs in the request that queued the email.
ESCALATION_OUTBOX_KICK_ATTEMPTS = env.int("ESCALATION_OUTBOX_KICK_ATTEMPTS", default=3)
ESCALATION_OUTBOX_KICK_PAUSE_SECONDS = env.float(
    "ESCALATION_OUTBOX_KICK_PAUSE_SECONDS", default=0.2
)
