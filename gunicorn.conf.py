"""gunicorn settings of `make serve` (the production web process, `admints.serving`), read
from the environment:
WEB_CONCURRENCY worker processes × GUNICORN_THREADS threads each, bound to GUNICORN_BIND.

Threads (gthread) because a page mostly waits for its database; several processes because one
Python process runs one thread at a time. Sessions and rate limits must then live in Redis
(REDIS_URL): each worker is its own process (README « Déployer pour une académie »).
"""

import os

bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")
workers = int(os.environ.get("WEB_CONCURRENCY", "2"))
threads = int(os.environ.get("GUNICORN_THREADS", "4"))
worker_class = "gthread"
# A SIECLE upload or a PDF download can take a while; beyond this a worker is stuck.
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "120"))
graceful_timeout = 30
keepalive = 5
# Access log on stdout with the worker's pid (which process served what).
accesslog = os.environ.get("GUNICORN_ACCESS_LOG", "-")
access_log_format = '%(h)s %(p)s "%(r)s" %(s)s %(b)s %(M)sms'
errorlog = "-"
