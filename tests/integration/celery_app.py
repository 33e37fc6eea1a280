"""A tiny Celery app for healthtop's celery probe tests.

The broker comes from HT_CELERY_BROKER (redis://127.0.0.1:PORT/DB). The
one task sleeps, to keep a solo-pool worker busy so that it stops
answering control messages ("listening 2, answering 1")."""
import os
import time

from celery import Celery

app = Celery("ht_celery_app", broker=os.environ.get("HT_CELERY_BROKER", "redis://127.0.0.1:6379/0"))
app.conf.update(
    worker_hijack_root_logger=False,
    worker_send_task_events=False,
    broker_connection_retry_on_startup=True,
    result_backend=None,
    task_ignore_result=True,
)


@app.task(name="ht.sleep")
def sleep(seconds):
    time.sleep(seconds)
    return seconds
