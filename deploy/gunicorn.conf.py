"""Gunicorn's configuration for a Paydesk app server (docs/deployment.md), used by
deploy/paydesk-web@.service and by `make deploy-test`.

Everything a machine changes comes from the environment: PAYDESK_BIND (`127.0.0.1:8001`),
PAYDESK_WEB_WORKERS (processes, default 4) and PAYDESK_WEB_THREADS (threads each, default 4).
On SIGTERM gunicorn stops accepting, lets every running request finish for up to
`graceful_timeout` seconds, then exits; systemd's TimeoutStopSec is set above it.
"""

import os

bind = os.environ.get("PAYDESK_BIND", "127.0.0.1:8000")
workers = int(os.environ.get("PAYDESK_WEB_WORKERS", "4"))
worker_class = "gthread"
threads = int(os.environ.get("PAYDESK_WEB_THREADS", "4"))
# A request that takes longer than this is killed (a gateway has PAYDESK_GATEWAY_TIMEOUT, 10 s).
timeout = 60
# SIGTERM: running requests get this long to finish.
graceful_timeout = int(os.environ.get("PAYDESK_GRACEFUL_SECONDS", "20"))
keepalive = 5
# Recycle a worker now and then (with jitter, so they never all restart at once).
max_requests = 5000
max_requests_jitter = 500
accesslog = "-"
errorlog = "-"
access_log_format = '%(h)s "%(r)s" %(s)s %(b)s %(M)sms'
proc_name = "paydesk-web"
