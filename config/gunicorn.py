"""Gunicorn settings for Amparo: ``gunicorn -c config/gunicorn.py config.wsgi``.

What the web server writes down matters as much as what the application stores: an access log
line holds the client's address, the time to the second, the path and often the user agent, and
would date and locate every reporter of the intake channel. So:

* no access log at all (``accesslog = None``; nothing is sent to syslog either);
* the error log goes to standard error through Amparo's own filter
  (amparo.core.logfilters.DropClientMetadata), which removes IP addresses: gunicorn writes the
  client's address into some warnings ("Invalid request from ip=...");
* a reverse proxy in front (nginx, Caddy) must be configured the same way: ``access_log off;``
  (or a format without $remote_addr, $http_user_agent and $http_referer), and error logs
  without client addresses.

Environment: AMPARO_BIND (default 127.0.0.1:8000), AMPARO_WORKERS (default: CPUs + 1),
AMPARO_THREADS (default 4), AMPARO_TIMEOUT (seconds, default 120: uploads of 10 files of 20 MB
over a slow connection take time).
"""

from __future__ import annotations

import multiprocessing
import os

bind = os.environ.get("AMPARO_BIND", "127.0.0.1:8000")
workers = int(os.environ.get("AMPARO_WORKERS", str(multiprocessing.cpu_count() + 1)))
worker_class = "gthread"
threads = int(os.environ.get("AMPARO_THREADS", "4"))
timeout = int(os.environ.get("AMPARO_TIMEOUT", "120"))
graceful_timeout = 30
# Workers are replaced now and then (the intake's load counters and used form tokens are in the
# database, shared by all workers, so nothing is lost when one goes).
max_requests = 2000
max_requests_jitter = 200

accesslog = None
disable_redirect_access_to_syslog = True
errorlog = "-"
loglevel = "info"
# The address of the peer never reaches Django's request.META unless a trusted proxy set it.
forwarded_allow_ips = os.environ.get("AMPARO_FORWARDED_ALLOW_IPS", "127.0.0.1")
proxy_allow_ips = forwarded_allow_ips

logconfig_dict = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"no_client_metadata": {"()": "amparo.core.logfilters.DropClientMetadata"}},
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {
        "error_console": {
            "class": "logging.StreamHandler",
            "formatter": "plain",
            "filters": ["no_client_metadata"],
            "stream": "ext://sys.stderr",
        },
    },
    "root": {"level": "WARNING", "handlers": ["error_console"]},
    "loggers": {
        "gunicorn.error": {"level": "INFO", "handlers": ["error_console"], "propagate": False},
        # Belt and braces: even if an access log were switched on, nothing would be written.
        "gunicorn.access": {"level": "CRITICAL", "handlers": [], "propagate": False},
    },
}
