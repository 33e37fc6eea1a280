"""The Celery app of bench/redis_celery.sh's two workers: no tasks, only
the broker (BENCH_BROKER), so that `celery inspect ping` and healthtop's
celery probe have someone to ping."""
import os

from celery import Celery

app = Celery("bench", broker=os.environ["BENCH_BROKER"])
app.conf.worker_hijack_root_logger = False
