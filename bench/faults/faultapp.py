"""The portal's Celery app with the fault scripts' pause points (bench/faults/hooks.py)
installed in each pool process: ``celery -A bench.faults.faultapp worker|beat``.

Unarmed (no ``$FAULT_DIR/armed``) the wrapped functions only pass their calls on. With
``FAULT_RESTORE_EVERY`` set, kombu's Redis transport looks for unacknowledged tasks past
their visibility timeout every that many seconds instead of every 100 (10 s x 10), so a
script need not wait minutes to see a lost worker's tasks come back.
"""

import os

from celery.signals import worker_process_init

from config.celery import app

__all__ = ["app"]

if os.environ.get("FAULT_RESTORE_EVERY"):
    app.conf.broker_transport_options = {
        **app.conf.broker_transport_options,
        "unacked_restore_interval": int(os.environ["FAULT_RESTORE_EVERY"]),
        "unacked_restore_throttle": 1,
    }


@worker_process_init.connect
def _hooks_install(**kwargs: object) -> None:
    from bench.faults import hooks

    hooks.install()
