"""One env-driven settings file for development, tests and production."""

from __future__ import annotations

import importlib.util
import os
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlparse

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

from common import logs
from common.redis import parse_sentinels

BASE_DIR = Path(__file__).resolve().parent.parent


def env_bool(name: str, default: bool = False) -> bool:
    return os.environ.get(name, str(default)).strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str) -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


DEBUG = env_bool("DEBUG")
SECRET_KEY = os.environ.get("SECRET_KEY", "")
if not SECRET_KEY:
    if not DEBUG and os.environ.get("GOODMOB_ALLOW_INSECURE_KEY") != "1":
        raise ImproperlyConfigured("Set SECRET_KEY (or DEBUG=1 for local development).")
    SECRET_KEY = "insecure-development-key-never-use-in-production"

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "localhost,127.0.0.1,[::1]")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", "")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "channels",
    "ninja",
    "axes",
    # Ours, from the bottom up (pyproject.toml's import contract keeps the arrows one way).
    "accounts",
    "actions",
    "realtime",
    "social",
    "moderation",
    "webhooks",
    "alerts",
    "goodmob",  # management commands (demo)
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "common.middleware.StyledNotFound",
    "django_permissions_policy.PermissionsPolicyMiddleware",
    "servestatic.middleware.ServeStaticMiddleware",
    "common.middleware.RejectUnstorableText",
    "common.middleware.ApiMethods",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "common.middleware.RateLimitReads",
    # Last, as django-axes asks: turns a locked-out login into our 429 page.
    "axes.middleware.AxesMiddleware",
]

# Scripts and styles from our own files only: no inline script or style, no eval. The
# websockets are same-origin ('self' covers ws: and wss: in CSP 3). Pages may be framed
# by our own pages only, except the livestream dashboard (actions/views.py), which OBS
# and streaming sites embed.
# Maps: tiles from MAP_TILE_URL (a {z}/{x}/{y} template; empty: maps without tiles, which
# still show the zone and work offline) and place search by name from a Nominatim-style
# geocoder at GEOCODER_URL (empty: search off).
MAP_TILE_URL = os.environ.get("MAP_TILE_URL", "https://tile.openstreetmap.org/{z}/{x}/{y}.png")
MAP_TILE_ATTRIBUTION = os.environ.get("MAP_TILE_ATTRIBUTION", "© OpenStreetMap contributors")
GEOCODER_URL = os.environ.get("GEOCODER_URL", "https://nominatim.openstreetmap.org/search")
GEOCODER_USER_AGENT = os.environ.get("GEOCODER_USER_AGENT", "goodmob (https://github.com/goodmob)")


def _origin(url: str) -> list[str]:
    parts = urlparse(url)
    return [f"{parts.scheme}://{parts.netloc}"] if parts.scheme and parts.netloc else []


CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:", *_origin(MAP_TILE_URL)],
        "connect-src": ["'self'"],
        "font-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'self'"],
    }
}
# Location for our own pages (check-ins); nothing else a page could ask a phone for.
PERMISSIONS_POLICY = {
    "geolocation": ["self"],
    "camera": [],
    "microphone": [],
    "payment": [],
    "usb": [],
    "browsing-topics": [],
}
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
SECURE_REFERRER_POLICY = "same-origin"

AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
# Login throttling (django-axes): ten wrong passwords for one name from one address lock
# that pair for 15 minutes; RATE_LIMITS["login"] brakes one address trying many names.
AXES_FAILURE_LIMIT = int(os.environ.get("LOGIN_FAILURE_LIMIT", "10"))
AXES_COOLOFF_TIME = timedelta(minutes=15)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "accounts.views.locked_out"
AXES_VERBOSE = False

ROOT_URLCONF = "goodmob.urls"
ASGI_APPLICATION = "goodmob.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.i18n",
                "alerts.context.offer_alerts",
            ],
        },
    },
]

DATABASES = {
    "default": dj_database_url.config(
        default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}", conn_max_age=60, conn_health_checks=True
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # Under ASGI every request runs in a thread of its own, and each thread would keep
    # its own connection for CONN_MAX_AGE: a burst of requests exhausts the server's
    # connections. A shared pool per process caps them and reuses them at once.
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    # With the pool, Django's health checks become the pool's check on checkout (one
    # empty query): after a PostgreSQL restart every pooled connection is dead, and each
    # would otherwise fail one request (a 503) before the pool dropped it.
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
    # Every query here is a small OLTP one, but a cascade redraw's read of a big crowd
    # passes the planner's JIT threshold and paid about 20 ms compiling, every redraw.
    DATABASES["default"].setdefault("OPTIONS", {}).setdefault("options", "-c jit=off")
    DATABASES["default"]["OPTIONS"]["pool"] = {
        "min_size": 2,
        "max_size": int(os.environ.get("DB_POOL_SIZE", "24")),
        "timeout": 10,
    }
elif DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets the web process read while the worker writes; IMMEDIATE takes the write
    # lock at BEGIN so two writers queue on the busy timeout instead of failing mid-way.
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"]["OPTIONS"] = {
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
    }
    DATABASES["default"]["TEST"] = {"NAME": str(BASE_DIR / "var" / "test.sqlite3")}

DATA_UPLOAD_MAX_MEMORY_SIZE = 256 * 1024

# Threads doing the database work of the hot API endpoints in each web process; the
# connection pool (DB_POOL_SIZE) leaves room above it for every other request.
HOT_PATH_THREADS = int(os.environ.get("HOT_PATH_THREADS", "16"))
# Check-in batches a web process keeps in flight at once (each one statement). One:
# at 1,000 check-ins/s a second batch in flight nearly halved the batches' size (8.1
# check-ins against 14.7 in one run), and each batch has fixed costs; one web process
# spent 1.54-1.57 ms of server CPU per check-in with two and 1.32-1.41 with one, and
# request p99 was 95-142 ms and 73-143 ms (bench/ingest.py, alternating runs).
CHECKIN_BATCHES_IN_FLIGHT = int(os.environ.get("CHECKIN_BATCHES_IN_FLIGHT", "1"))
# The next batch waits for FILL check-ins or LINGER ms since the last batch started,
# whichever comes first (the first check-in after a quiet spell goes at once). Each
# batch has fixed costs, about 3 ms of CPU in the web and PostgreSQL together; started
# as soon as the last was done, batches carried about 5 check-ins at 1,000/s. With 30
# and 60 ms: server CPU per check-in 0.65-0.75 ms against 1.21-1.24, and two web
# processes (each filling its batches at half the rate, up to the linger) 8% dearer
# than one on average, against 26-31% before (bench/ingest.py at 1,000/s; the README's
# Performance has the runs).
CHECKIN_BATCH_FILL = int(os.environ.get("CHECKIN_BATCH_FILL", "30"))
CHECKIN_BATCH_LINGER_MS = float(os.environ.get("CHECKIN_BATCH_LINGER_MS", "60"))

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0")
REDIS_PREFIX = os.environ.get("REDIS_PREFIX", "goodmob")
# High availability: "host:port,host:port" of Redis Sentinels. The primary they name for
# the service is used by the fan-out hub, Celery, rate limits and the cache; REDIS_URL
# then only gives the database number.
REDIS_SENTINELS = parse_sentinels(os.environ.get("REDIS_SENTINELS", ""))
REDIS_SENTINEL_SERVICE = os.environ.get("REDIS_SENTINEL_SERVICE", "goodmob")
_REDIS_DB = urlparse(REDIS_URL).path.strip("/") or "0"

# Our consumers do not use the channel layer (see realtime/hub.py); it stays
# configured for management commands and extensions that call group_send.
CHANNEL_LAYERS = {
    "default": {
        "BACKEND": "channels_redis.pubsub.RedisPubSubChannelLayer",
        "CONFIG": {
            "hosts": [
                {"sentinels": REDIS_SENTINELS, "master_name": REDIS_SENTINEL_SERVICE, "db": int(_REDIS_DB)}
                if REDIS_SENTINELS
                else REDIS_URL
            ],
            "prefix": f"{REDIS_PREFIX}:ws:",
        },
    }
}

CACHES = {
    "default": {
        "BACKEND": "common.cache.RedisCache",
        "LOCATION": REDIS_URL,
        "KEY_PREFIX": REDIS_PREFIX,
    }
}

SESSION_ENGINE = "django.contrib.sessions.backends.db"
SESSION_COOKIE_AGE = 60 * 60 * 24 * 365  # guests are kept by this cookie: make it last

CELERY_BROKER_URL = REDIS_URL
if REDIS_SENTINELS:
    CELERY_BROKER_URL = ";".join(f"sentinel://{host}:{port}/{_REDIS_DB}" for host, port in REDIS_SENTINELS)
CELERY_RESULT_BACKEND = None
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_DEFAULT_QUEUE = os.environ.get("CELERY_QUEUE", f"{REDIS_PREFIX}")
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": 3600,
    "global_keyprefix": f"{REDIS_PREFIX}:",
    **({"master_name": REDIS_SENTINEL_SERVICE} if REDIS_SENTINELS else {}),
}
CELERY_WORKER_PREFETCH_MULTIPLIER = 4
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TIMEZONE = "UTC"
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
# Email: printed on the console unless configured (password resets, address links).
EMAIL_BACKEND = os.environ.get("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
EMAIL_HOST = os.environ.get("EMAIL_HOST", "localhost")
EMAIL_PORT = int(os.environ.get("EMAIL_PORT", "25"))
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS")
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "Good Mob <noreply@localhost>")
PASSWORD_RESET_TIMEOUT = 3 * 24 * 3600

LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "home"

LANGUAGE_CODE = "en"
# English and Polish: the browser's language picks, the footer's switch overrides (a cookie).
LANGUAGES = [("en", "English"), ("pl", "Polski")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
# Leaflet's JS and CSS come from the django-leaflet package's static folder, read as files:
# the app itself wants GeoDjango (GDAL), which the map does not need.
_LEAFLET = importlib.util.find_spec("leaflet")
STATICFILES_DIRS = [
    BASE_DIR / "static",
    *([Path(next(iter(_LEAFLET.submodule_search_locations or []))) / "static"] if _LEAFLET else []),
]
STATIC_ROOT = BASE_DIR / "staticfiles"
SERVESTATIC_USE_FINDERS = True
SERVESTATIC_AUTOREFRESH = DEBUG

# Limits: (requests, seconds) per client. Crowds share carrier NAT addresses, so the
# per-address limits are generous; the per-user ones are the real brake.
_RATE_SCALE = float(os.environ.get("RATE_LIMIT_SCALE", "1"))  # benchmarks raise it
RATE_LIMITS = {
    "guest": (120, 60),  # new guests per address: a burst at GO...
    "guest_hour": (600, 3600),  # ...but no endless churn of fresh per-user buckets
    "login": (30, 60),  # login attempts per address, whatever the name
    "signup": (20, 3600),  # accounts per address
    "token": (10, 3600),  # API tokens per user
    "reset": (10, 3600),  # password reset emails asked for, per address
    "verify_email": (5, 3600),  # confirmation links sent again, per user
    "read": (1200, 60),  # public GETs per address
    "launch": (20, 3600),
    "geocode": (30, 60),  # place searches per user (each one asks the geocoder)
    "pledge": (30, 60),
    "follow": (120, 60),
    "checkin": (20, 60),
    "deed": (20, 60),
    "message": (10, 60),
    "report": (20, 3600),
    "visit": (30, 3600),  # counted visits through one person's link, per address
}
RATE_LIMITS = {scope: (max(1, int(n * _RATE_SCALE)), seconds) for scope, (n, seconds) in RATE_LIMITS.items()}


def deny_words() -> list[str]:
    words = env_list("DENY_WORDS", "")
    path = os.environ.get("DENY_WORDS_FILE")
    if path:
        words += [line.strip() for line in Path(path).read_text().splitlines() if line.strip()]
    return words


# Receipts of verified deeds are signed with this Ed25519 seed (base64url of 32 bytes);
# empty: derived from SECRET_KEY. RECEIPT_ISSUER names the signer in every receipt.
RECEIPT_SIGNING_KEY = os.environ.get("RECEIPT_SIGNING_KEY", "")
RECEIPT_ISSUER = os.environ.get("RECEIPT_ISSUER", "goodmob")

# Words refused in display names, titles and deeds (common/denylist.py).
DENY_WORDS = deny_words()

# Webhooks to private, loopback or link-local addresses (and over plain http) only where
# this is on: local development and the tests (DESIGN.md section 5).
WEBHOOKS_ALLOW_PRIVATE = env_bool("WEBHOOKS_ALLOW_PRIVATE")

# Web Push: the VAPID private key (base64url of the raw 32-byte P-256 secret; `make run`
# makes one on first start and keeps it in var/vapid.key). Empty: no Web Push, email only.
VAPID_PRIVATE_KEY = os.environ.get("VAPID_PRIVATE_KEY", "")
VAPID_SUBJECT = os.environ.get("VAPID_SUBJECT", "mailto:alerts@goodmob.invalid")
# Where this site is reached, for links in alerts sent by the workers.
SITE_URL = os.environ.get("SITE_URL", "http://127.0.0.1:8000")

GOODMOB = {
    # Alerts (alerts/): the reminder before the start, the nudge before the end, how
    # near a pledger must be for it, dispatch rings, one push's deadline, and how long
    # the "turn these off" link in an alert keeps working.
    "REMINDER_MINUTES": 10,
    "NUDGE_MINUTES": int(os.environ.get("NUDGE_MINUTES", "5")),
    "NUDGE_RADIUS_M": 3000,
    "DISPATCH_RING_SECONDS": float(os.environ.get("DISPATCH_RING_SECONDS", "60")),
    "PUSH_TIMEOUT_SECONDS": 5.0,
    "ALERT_OFF_LINK_DAYS": 365,
    "SNAPSHOT_COALESCE_SECONDS": 0.25,
    # A verification waits this long after the first check-in of a quiet spell, so the
    # crowd behind it is judged in the same batch: each batch's fixed cost (a task, the
    # action's row, the events' queries) is paid per crowd, not per person.
    "VERIFY_GATHER_SECONDS": float(os.environ.get("VERIFY_GATHER_SECONDS", "0.1")),
    # The cascade is a drawing, not a count: one frame a second is plenty, and each
    # one reads the whole graph.
    "CASCADE_COALESCE_SECONDS": float(os.environ.get("CASCADE_COALESCE_SECONDS", "1.0")),
    # A movement's tally sums many actions: at most one recount a second per movement.
    "MOVEMENT_COALESCE_SECONDS": float(os.environ.get("MOVEMENT_COALESCE_SECONDS", "1.0")),
    "MAX_FUTURE_DAYS": 30,
    "WS_MAX_FRAME_BYTES": 4096,
    "WS_MAX_FRAMES_PER_10S": 50,
    # Open sockets per client address in one web process (realtime/admission.py).
    "WS_MAX_PER_ADDRESS": int(os.environ.get("WS_MAX_PER_ADDRESS", "500")),
    # Give the heap back to the system once a crowd of sockets has left (glibc keeps it).
    "WS_HEAP_TRIM": env_bool("WS_HEAP_TRIM", True),
    "PENDING_STALE_SECONDS": int(os.environ.get("PENDING_STALE_SECONDS", "15")),
    "COORDINATE_RETENTION_HOURS": int(os.environ.get("COORDINATE_RETENTION_HOURS", "24")),
    # How old an account must be, when the action starts, to count on its public map.
    "PUBLIC_MAP_MIN_ACCOUNT_AGE_HOURS": int(os.environ.get("PUBLIC_MAP_MIN_ACCOUNT_AGE_HOURS", "24")),
    # Webhook deliveries (webhooks/services.py): first retry after this many seconds, then
    # doubling (at most an hour apart) for WEBHOOK_RETRY_HOURS; one attempt may take
    # WEBHOOK_TIMEOUT_SECONDS in all; this many failures in a row turn an endpoint off.
    "WEBHOOK_RETRY_BASE_SECONDS": float(os.environ.get("WEBHOOK_RETRY_BASE_SECONDS", "30")),
    "WEBHOOK_RETRY_HOURS": 24,
    "WEBHOOK_TIMEOUT_SECONDS": 5.0,
    "WEBHOOK_DISABLE_AFTER": int(os.environ.get("WEBHOOK_DISABLE_AFTER", "15")),
    # Validate every websocket frame against its schema before sending (actions/protocol.py).
    "CHECK_FRAMES": env_bool("CHECK_FRAMES"),
}

LOG_FORMAT = os.environ.get("LOG_FORMAT", "text")
LOGGING = logs.config(LOG_FORMAT, os.environ.get("LOG_LEVEL", "INFO"))
# Celery would replace the root logger's handler with its own plain format.
CELERY_WORKER_HIJACK_ROOT_LOGGER = LOG_FORMAT != "json"
# /metrics is open unless a token is set (then: Authorization: Bearer <token>).
METRICS_TOKEN = os.environ.get("METRICS_TOKEN", "")

if not DEBUG:
    SESSION_COOKIE_SECURE = env_bool("SECURE_COOKIES", True)
    CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_HSTS_SECONDS = int(os.environ.get("SECURE_HSTS_SECONDS", "31536000"))
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SECURE_CONTENT_TYPE_NOSNIFF = True
