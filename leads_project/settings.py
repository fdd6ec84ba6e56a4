"""Leadbook settings. Everything deployment-specific comes from the environment (see
.env.example); the typed readers in env.py refuse values they cannot parse."""

from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from dotenv import load_dotenv

from leads_project.env import env_bool, env_int, env_list, env_str, env_url

BASE_DIR = Path(__file__).resolve().parent.parent
# A local .env (made by `make run` from .env.example) fills in what the environment lacks.
load_dotenv(BASE_DIR / ".env", override=False)

DEBUG = env_bool("DEBUG", False)

if DEBUG:
    SECRET_KEY = env_str("SECRET_KEY", "dev-only-insecure-key-change-me-0123456789abcdef")
else:
    SECRET_KEY = env_str("SECRET_KEY", "")
    if len(SECRET_KEY) < 32:
        raise ImproperlyConfigured(
            "SECRET_KEY must be set (at least 32 characters) when DEBUG is off."
        )

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["localhost", "127.0.0.1", "[::1]", "testserver"])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "django_filters",
    "phonenumber_field",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_tasks",
    "django_tasks_db",
    "django_rq",
    "django_tasks_rq",
    "django_htmx",
    "template_partials",
    "axes",
    "leads",
    "checklists",
    "campaigns",
    "api",
    # Last: the composition root's own commands (seed_demo) use every app above.
    "leads_project",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "csp.middleware.CSPMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "leads_project.urls"
WSGI_APPLICATION = "leads_project.wsgi.application"

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
            ],
        },
    },
]

# --- Database ---------------------------------------------------------------------------
# SQLite is the embedded default. WAL lets readers run beside the writer; IMMEDIATE
# transactions take the write lock up front, so concurrent writers queue on the busy
# timeout instead of failing with "database is locked" half-way through a transaction.
DATABASE_URL = env_str("DATABASE_URL", f"sqlite:///{BASE_DIR / 'db.sqlite3'}")
_db = dj_database_url.parse(DATABASE_URL)
if _db["ENGINE"] == "django.db.backends.sqlite3":
    _db["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        # Seconds a writer waits for the lock (sqlite3 sets the busy timeout from it; a
        # PRAGMA busy_timeout here would silently override it).
        "timeout": env_int("SQLITE_BUSY_TIMEOUT", 20, minimum=1),
        "init_command": (
            "PRAGMA journal_mode=WAL;PRAGMA synchronous=NORMAL;PRAGMA foreign_keys=ON;"
        ),
    }
elif _db["ENGINE"] == "django.db.backends.postgresql":
    # A new connection per request made a one-INSERT view 7x slower on our machines.
    _db["CONN_MAX_AGE"] = env_int("DB_CONN_MAX_AGE", 60, minimum=0)
    _db["CONN_HEALTH_CHECKS"] = True
    # Server-side parameter binding lets psycopg prepare the statements a request runs
    # again and again, so PostgreSQL plans them once per connection instead of on every
    # execution (planning a lead query costs more than running it: leads_lead has many
    # indexes).
    _db["OPTIONS"] = {
        "server_side_binding": env_bool("DB_SERVER_SIDE_BINDING", True),
        # No statement waits for a lock longer than this: a request stuck behind another
        # fails cleanly (503, or 409 for an Idempotency-Key still in use) instead of
        # holding a worker.
        # JIT compilation off: it pays only for long analytical queries, and when the
        # planner overestimates a lead query's rows it compiled it anyway, adding about
        # 100 ms to a statement that runs in 25 (measured on an import batch's
        # duplicate lookup against a million leads).
        "options": (
            f"-c lock_timeout={env_int('DB_LOCK_TIMEOUT_MS', 10000, minimum=100)} -c jit=off"
        ),
    }
else:
    raise ImproperlyConfigured("DATABASE_URL must point to SQLite or PostgreSQL.")
DATABASES = {"default": _db}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Cache (rate limits) ----------------------------------------------------------------
# Checked at start-up: redis-py refuses a URL without its scheme only when the cache is
# first used, i.e. on the first rate-limited request.
REDIS_URL = env_url("REDIS_URL", schemes=("redis", "rediss", "unix"))
if REDIS_URL:
    CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# --- Background tasks -------------------------------------------------------------------
# database (default): tasks in the database, run by `manage.py worker`.
# rq: tasks in Redis (REDIS_URL), run by `manage.py worker` on any number of machines.
# immediate: run inline (tests, or a deployment without a worker).
TASKS_BACKEND = env_str("TASKS_BACKEND", "database")
_TASK_BACKENDS = {
    "database": {"BACKEND": "django_tasks_db.DatabaseBackend"},
    "rq": {"BACKEND": "django_tasks_rq.RQBackend", "QUEUES": ["default"]},
    "immediate": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"},
}
if TASKS_BACKEND not in _TASK_BACKENDS:
    raise ImproperlyConfigured(f"TASKS_BACKEND must be one of {sorted(_TASK_BACKENDS)}.")
if TASKS_BACKEND == "rq" and not REDIS_URL:
    raise ImproperlyConfigured("TASKS_BACKEND=rq needs REDIS_URL.")
TASKS = {"default": _TASK_BACKENDS[TASKS_BACKEND]}
RQ_QUEUES = {"default": {"URL": REDIS_URL or "redis://127.0.0.1:6379/0", "DEFAULT_TIMEOUT": 600}}
# No RQ dashboard in the admin: it shows every workspace's jobs and opens token-only stats
# URLs. Operators watch the queue with `rq info` instead.
RQ_SHOW_ADMIN_LINK = False

# --- Auth -------------------------------------------------------------------------------
AUTH_USER_MODEL = "leads.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "/accounts/login/"
LOGIN_REDIRECT_URL = "/"
LOGOUT_REDIRECT_URL = "/accounts/login/"

# Brute-force lockout for the login page and the Pulse username/password login.
AXES_FAILURE_LIMIT = env_int("AXES_FAILURE_LIMIT", 5, minimum=1)
AXES_COOLOFF_TIME = env_int("AXES_COOLOFF_MINUTES", 30, minimum=1) / 60  # hours
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True

# --- Internationalisation ---------------------------------------------------------------
LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

# --- Static and uploaded files ----------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = Path(env_str("STATIC_ROOT", str(BASE_DIR / "staticfiles")))
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_ROOT = Path(env_str("MEDIA_ROOT", str(BASE_DIR / "media")))
MEDIA_URL = "/media/"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}

# --- Email ------------------------------------------------------------------------------
EMAIL_BACKEND = env_str("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
EMAIL_HOST = env_str("EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("EMAIL_PORT", 25)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "Leadbook <leadbook@localhost>")

# --- Security ---------------------------------------------------------------------------
# HTTPS=1 when Leadbook is served over TLS (directly or behind a proxy that sets
# X-Forwarded-Proto, see SECURE_PROXY_SSL_HEADER below).
HTTPS = env_bool("HTTPS", False)
SESSION_COOKIE_SECURE = HTTPS
CSRF_COOKIE_SECURE = HTTPS
SECURE_SSL_REDIRECT = HTTPS and env_bool("SECURE_SSL_REDIRECT", True)
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31536000 if HTTPS else 0, minimum=0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = HTTPS
SECURE_HSTS_PRELOAD = HTTPS
if env_bool("BEHIND_TLS_PROXY", False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
# No inline script or style on any page but the two API docs viewers, which add only what
# their viewer needs (api/docs.py).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "style-src": ["'self'"],
        "script-src": ["'self'"],
        "frame-ancestors": ["'none'"],
        "form-action": ["'self'"],
    }
}

# --- API --------------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_SCHEMA_CLASS": "api.schema.FamilyAutoSchema",
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["api.parsers.LimitedJSONParser"],
    "DEFAULT_AUTHENTICATION_CLASSES": [],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "EXCEPTION_HANDLER": "api.errors.exception_handler",
    "UNAUTHENTICATED_USER": None,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Leadbook lead API",
    "DESCRIPTION": (
        "One lead model spoken in four API families: OmniAI (/api/v1), MEGA "
        "(/api/agents/crm), Pulse (/api) and Autocalls (/api/user). See docs/api.md."
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
}

PHONENUMBER_DEFAULT_REGION = "US"
PHONENUMBER_DB_FORMAT = "E164"

# Requests larger than this get 413 before they are parsed (uploads have their own limit).
API_MAX_BODY_BYTES = env_int("API_MAX_BODY_BYTES", 1024 * 1024, minimum=1024)
DATA_UPLOAD_MAX_MEMORY_SIZE = API_MAX_BODY_BYTES
DOCUMENT_MAX_BYTES = env_int("DOCUMENT_MAX_BYTES", 25 * 1024 * 1024, minimum=1024)
# Default per-key limits; each workspace may set its own in the admin.
API_RATE_LIMIT_PER_MINUTE = env_int("API_RATE_LIMIT_PER_MINUTE", 600, minimum=1)
API_RATE_LIMIT_PER_HOUR = env_int("API_RATE_LIMIT_PER_HOUR", 20000, minimum=1)
API_BULK_RATE_LIMIT_PER_MINUTE = env_int("API_BULK_RATE_LIMIT_PER_MINUTE", 30, minimum=1)
IDEMPOTENCY_TTL_HOURS = env_int("IDEMPOTENCY_TTL_HOURS", 24, minimum=24)
# Number of reverse proxies in front of the app whose X-Forwarded-For entries we trust.
TRUSTED_PROXY_COUNT = env_int("TRUSTED_PROXY_COUNT", 0, minimum=0)
PULSE_TOKEN_TTL_SECONDS = env_int("PULSE_TOKEN_TTL_SECONDS", 12 * 3600, minimum=60)
# Webhook URLs must be public HTTPS; tests and local development may relax this.
WEBHOOK_ALLOW_PRIVATE_URLS = env_bool("WEBHOOK_ALLOW_PRIVATE_URLS", False)

# --- Logging ----------------------------------------------------------------------------
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    "loggers": {"django.db.backends": {"level": "INFO"}},
}

# Periodic jobs the `worker` command queues: (task path, every N seconds).
PERIODIC_TASKS: list[tuple[str, int]] = [
    ("api.tasks.idempotency_purge", 3600),
]

# --- OmniAI family, checklists and messages ----------------------------------------------
# Signed document download links stay valid this long (OmniAI documents one hour).
DOCUMENT_URL_MAX_AGE = env_int("DOCUMENT_URL_MAX_AGE", 3600, minimum=60)
# Text messages go through this backend (see leads/sms.py for the interface); the default
# only logs them. SMS_FROM is the sender number or name a provider backend uses.
SMS_BACKEND = env_str("SMS_BACKEND", "leads.sms.LoggingSmsBackend")
SMS_FROM = env_str("SMS_FROM", "")
# How often the worker sends due follow-ups and approved drafts.
MESSAGES_SEND_INTERVAL_SECONDS = env_int("MESSAGES_SEND_INTERVAL_SECONDS", 30, minimum=1)
PERIODIC_TASKS += [("leads.tasks.messages_send_due", MESSAGES_SEND_INTERVAL_SECONDS)]
SPECTACULAR_SETTINGS.setdefault("ENUM_NAME_OVERRIDES", {}).update(
    {
        "OmniLeadStatusEnum": ["IN_PROGRESS", "REVIEW", "COMPLETED", "NOT_INTERESTED", "OPTED_OUT"],
    }
)

# --- Campaigns (calling) ------------------------------------------------------------------
# How long a number handed to a caller (campaign_queue_claim) stays theirs without a
# reported outcome before it goes back in the queue.
CAMPAIGN_CLAIM_LEASE_MINUTES = env_int("CAMPAIGN_CLAIM_LEASE_MINUTES", 15, minimum=1)
PERIODIC_TASKS += [("campaigns.tasks.campaigns_sweep", 60)]
# Autocalls lists (Laravel paginator) count matching rows exactly up to this many; past
# it `total` stops at the cap instead of counting every row on every page (docs/api.md).
AUTOCALLS_LIST_COUNT_CAP = env_int("AUTOCALLS_LIST_COUNT_CAP", 100_000, minimum=100)
# Distinct OpenAPI enum names for the Autocalls family's choice fields.
SPECTACULAR_SETTINGS.setdefault("ENUM_NAME_OVERRIDES", {}).update(
    {
        "AutocallsLeadStatusEnum": "api.autocalls.serializers.LEAD_STATUS_CHOICES",
        "AutocallsCampaignStatusEnum": "api.autocalls.serializers.CAMPAIGN_STATUS_CHOICES",
        "AutocallsCallOutcomeEnum": "api.autocalls.serializers.OUTCOME_CHOICES",
        "AutocallsSettableLeadStatusEnum": "api.autocalls.serializers.SETTABLE_STATUS_CHOICES",
        "AutocallsStatusActionEnum": "api.autocalls.serializers.STATUS_ACTIONS",
    }
)

# --- Webhook delivery (MEGA family / issue 5) --------------------------------------------
# Retries: WEBHOOK_RETRY_BASE_SECONDS * 2^(attempt-1), capped, ±WEBHOOK_RETRY_JITTER.
WEBHOOK_RETRY_BASE_SECONDS = env_int("WEBHOOK_RETRY_BASE_SECONDS", 60, minimum=1)
WEBHOOK_RETRY_MAX_SECONDS = env_int("WEBHOOK_RETRY_MAX_SECONDS", 6 * 3600, minimum=1)
WEBHOOK_RETRY_JITTER = 0.2
# How long a worker holds a delivery before another may take it over (longer than the
# 60 s maximum endpoint timeout, so a live worker is never overtaken).
WEBHOOK_LEASE_SECONDS = env_int("WEBHOOK_LEASE_SECONDS", 180, minimum=90)
# One sweep sends at most this many deliveries, for at most this many seconds.
WEBHOOK_SWEEP_BATCH = env_int("WEBHOOK_SWEEP_BATCH", 200, minimum=1)
WEBHOOK_SWEEP_SECONDS = env_int("WEBHOOK_SWEEP_SECONDS", 50, minimum=1)
PERIODIC_TASKS.append(("leads.tasks.webhook_deliveries_sweep", 15))

# --- Pulse family (/api) ----------------------------------------------------------------
# List totals are counted exactly up to this many rows; past it, PostgreSQL's planner
# estimate is reported (with the header Total-Count-Estimated: true). See docs/api.md.
PULSE_EXACT_COUNT_LIMIT = env_int("PULSE_EXACT_COUNT_LIMIT", 10000, minimum=100)

# --- Staff web UI -----------------------------------------------------------------------
# The login page shows django-axes' lockout itself (other paths keep axes' default reply).
AXES_LOCKOUT_CALLABLE = "leads.views.accounts.lockout_response"
PASSWORD_RESET_TIMEOUT = env_int("PASSWORD_RESET_TIMEOUT", 3 * 24 * 3600, minimum=600)
# Header, workspace switcher and role flags on every staff page.
TEMPLATES[0]["OPTIONS"]["context_processors"].append("leads.context_processors.staff")
# Count failures per email whichever field carried it (login form "username", API "email").
AXES_USERNAME_CALLABLE = "leads.views.accounts.axes_username"

# --- Imports, campaigns pages and the call queue (staff UI part 2) ----------------------
# An import file is refused above these limits (checked before anything is imported).
IMPORT_MAX_BYTES = env_int("IMPORT_MAX_BYTES", 200 * 1024 * 1024, minimum=1024)
IMPORT_MAX_ROWS = env_int("IMPORT_MAX_ROWS", 1_000_000, minimum=1)
IMPORT_MAX_COLUMNS = env_int("IMPORT_MAX_COLUMNS", 200, minimum=1)
IMPORT_MAX_CELL_CHARS = env_int("IMPORT_MAX_CELL_CHARS", 32_000, minimum=100)
# An XLSX is a zip: its unpacked size is capped too (zip bombs).
IMPORT_MAX_UNPACKED_BYTES = env_int("IMPORT_MAX_UNPACKED_BYTES", 1024 * 1024 * 1024, minimum=1024)
# Rows per transaction: each batch goes through lead_bulk_upsert and commits with its
# results and the progress counters. A batch holds an advisory lock per email and phone
# (two per row) until it commits: keep it well under PostgreSQL's lock table
# (max_locks_per_transaction x max_connections, 6,400 by default).
IMPORT_BATCH_SIZE = env_int("IMPORT_BATCH_SIZE", 1000, minimum=1)
# An import or revert without progress for this long is queued again (its worker died).
IMPORT_STALE_SECONDS = env_int("IMPORT_STALE_SECONDS", 300, minimum=30)
PERIODIC_TASKS.append(("leads.tasks.imports_resume_stale", 60))
# Adding leads to a campaign from a saved view: at most this many in one go.
CAMPAIGN_ENROLL_MAX = env_int("CAMPAIGN_ENROLL_MAX", 10_000, minimum=1)
