"""catcpanel settings: everything comes from the environment.

Every name read here is listed in `.env.example` and the README. A secret may also be given as
`NAME_FILE` (a Docker secret): `environ.FileAwareEnv` reads the file instead of the variable.
Defaults make a local clone work with nothing set: SQLite and a shared file cache under `var/`.
"""

from pathlib import Path
from urllib.parse import urlsplit

import environ

from catcpanel.datadir import private_dir, private_file

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.FileAwareEnv()

DEBUG = env.bool("DEBUG", default=False)
DATA_DIR = Path(env.str("CATCPANEL_DATA_DIR", default=str(BASE_DIR / "var")))

# Values read from *_FILE keep the file's trailing newline: strip it.
SECRET_KEY = env.str("SECRET_KEY", default="").strip()
if not SECRET_KEY and (DATA_DIR / "secret_key").is_file():
    # The one the Docker entrypoint generated on the data volume, so that a bare
    # `docker exec ... manage.py` works as well as the entrypoint does.
    SECRET_KEY = (DATA_DIR / "secret_key").read_text().strip()
if not SECRET_KEY:
    if not DEBUG:
        from django.core.exceptions import ImproperlyConfigured

        raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off.")
    SECRET_KEY = "insecure-local-development-key-do-not-use-in-production"

SITE_URL = env.str("SITE_URL", default="http://127.0.0.1:8000").rstrip("/")
_site = urlsplit(SITE_URL)
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=[_site.hostname or "127.0.0.1", "localhost"])
CSRF_TRUSTED_ORIGINS = env.list(
    "CSRF_TRUSTED_ORIGINS", default=[f"{_site.scheme}://{_site.netloc}"]
)

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_htmx",
    "template_partials",
    "allauth",
    "allauth.account",
    "allauth.mfa",
    "csp",
    "catcpanel",
    "servers",
    "sandbox",
    "huey.contrib.djhuey",
    "history",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "servers.timezones.TimezoneMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    # Last, so that it sees the views' exceptions first: a wrong encryption key is a plain page.
    "catcpanel.middleware.UnreadableCredentialsMiddleware",
]

ROOT_URLCONF = "catcpanel.urls"
WSGI_APPLICATION = "catcpanel.wsgi.application"

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

# Database: SQLite under DATA_DIR unless DATABASE_URL says otherwise.
# Owner-only: the folder, the databases created in it (catcpanel/datadir.py).
private_dir(DATA_DIR)
DATABASES = {
    "default": env.db_url("DATABASE_URL", default=f"sqlite:///{DATA_DIR / 'catcpanel.sqlite3'}")
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Several gunicorn workers write to one file: WAL lets readers go on while one writes, the
    # busy timeout waits instead of failing, IMMEDIATE takes the write lock up front so that a
    # read-then-write transaction cannot deadlock on upgrade.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            "timeout": 20,
            "transaction_mode": "IMMEDIATE",
            "init_command": (
                "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA busy_timeout=20000;"
            ),
        }
    )
    if DATABASES["default"]["NAME"] and DATABASES["default"]["NAME"] != ":memory:":
        private_file(Path(DATABASES["default"]["NAME"]))
else:
    DATABASES["default"].setdefault("CONN_HEALTH_CHECKS", True)
# A gunicorn thread keeps its connection. With SQLite, opening one (the PRAGMAs above, Django's
# SQL functions) cost 1.3 ms of CPU on every request and on every call to the sandbox.
DATABASES["default"].setdefault("CONN_MAX_AGE", env.int("CONN_MAX_AGE", default=60))

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Cache: shared by every worker (and, with Redis, every replica). Never LocMem by default.
_redis_url = env.str("REDIS_URL", default="")
if _redis_url:
    CACHES = {
        "default": {
            # Redis, where a Redis that is down is a miss, not a 500 (servers/cache.py).
            "BACKEND": "servers.cache.TolerantRedisCache",
            "LOCATION": _redis_url,
            "KEY_PREFIX": "catcpanel",
            # A Redis that hangs must not hold a request longer than one that refuses.
            "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 2},
        }
    }
elif env.str("CACHE_URL", default=""):
    CACHES = {"default": env.cache_url("CACHE_URL")}
else:
    CACHES = {
        "default": {
            "BACKEND": "catcpanel.filecache.FileCache",
            "LOCATION": str(DATA_DIR / "cache"),
            "OPTIONS": {"MAX_ENTRIES": 10000},
        }
    }

SESSION_ENGINE = env.str("SESSION_ENGINE", default="django.contrib.sessions.backends.db")

AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# django-allauth: sign in by username or email; public sign-up off unless asked for.
ACCOUNT_LOGIN_METHODS = {"username", "email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "username*", "password1*", "password2*"]
ACCOUNT_SIGNUP_ENABLED = env.bool("CATCPANEL_SIGNUP", default=False)
ACCOUNT_EMAIL_VERIFICATION = "none"
ACCOUNT_LOGOUT_ON_GET = False
ACCOUNT_SESSION_REMEMBER = None
ACCOUNT_ADAPTER = "catcpanel.adapters.AccountAdapter"
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "/"
ACCOUNT_LOGOUT_REDIRECT_URL = "/"

# Two-factor sign-in (set up from the Security page): authenticator apps and recovery codes.
# Passkeys are left out: their pages need inline script, which the CSP forbids.
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes"]
MFA_TOTP_ISSUER = f"catcpanel ({_site.hostname})" if _site.hostname else "catcpanel"
MFA_PASSKEY_LOGIN_ENABLED = False
MFA_ADAPTER = "catcpanel.adapters.MFAAdapter"

# Dangerous actions (Cloud Pro build and delete, revealing a password, changing an API key,
# member changes) need a password or a two-factor code given within this many seconds
# (catcpanel/reauth.py).
ACCOUNT_REAUTHENTICATION_TIMEOUT = env.int("CATCPANEL_REAUTH_SECONDS", default=300)

# Sign-in throttling, counted in the shared cache so that every worker sees every failure: after
# this many failed sign-ins from one address, or for one username, within the window, sign-in is
# refused until the window has passed.
CATCPANEL_LOGIN_ATTEMPTS = env.int("CATCPANEL_LOGIN_ATTEMPTS", default=5)
CATCPANEL_LOGIN_WINDOW_SECONDS = env.int("CATCPANEL_LOGIN_WINDOW_SECONDS", default=300)
ACCOUNT_RATE_LIMITS = {
    "login_failed": (
        f"{CATCPANEL_LOGIN_ATTEMPTS}/{CATCPANEL_LOGIN_WINDOW_SECONDS}s/ip,"
        f"{CATCPANEL_LOGIN_ATTEMPTS}/{CATCPANEL_LOGIN_WINDOW_SECONDS}s/key"
    ),
}

# The client address for throttling. Empty (the default): the TCP peer, REMOTE_ADDR, and no header
# is believed. Behind a reverse proxy: the header it sets (X-Forwarded-For, X-Real-IP...) and how
# many proxies of yours append to it; the address is the one your outermost proxy appended,
# counting from the right, so that whatever a client put in front is ignored
# (catcpanel/client_ip.py).
CATCPANEL_TRUSTED_PROXY_HEADER = env.str("CATCPANEL_TRUSTED_PROXY_HEADER", default="")
CATCPANEL_TRUSTED_PROXY_COUNT = env.int("CATCPANEL_TRUSTED_PROXY_COUNT", default=1)

# E-mail: console output unless EMAIL_URL names a server (smtp://user:pass@host:587).
_email = env.email_url("EMAIL_URL", default="consolemail://")
vars().update(_email)
DEFAULT_FROM_EMAIL = env.str(
    "DEFAULT_FROM_EMAIL", default=f"catcpanel@{_site.hostname or 'localhost'}"
)

LANGUAGE_CODE = "en-us"
TIME_ZONE = env.str("TIME_ZONE", default="UTC")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = Path(env.str("STATIC_ROOT", default=str(BASE_DIR / "staticfiles")))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": env.str(
            "STATICFILES_STORAGE",
            default=(
                "django.contrib.staticfiles.storage.StaticFilesStorage"
                if DEBUG
                else "whitenoise.storage.CompressedManifestStaticFilesStorage"
            ),
        )
    },
}

# Encryption of stored Cloud at Cost credentials (servers/crypto.py). Newest key first.
CATCPANEL_FERNET_KEYS = env.list("CATCPANEL_FERNET_KEYS", default=[])
# Without keys, a local (DEBUG) run generates one here; CATCPANEL_GENERATE_KEY allows the same
# with DEBUG off (the Docker image, whose key lives beside its database on the /data volume).
CATCPANEL_FERNET_KEY_FILE = DATA_DIR / "fernet.key"
CATCPANEL_GENERATE_KEY = env.bool("CATCPANEL_GENERATE_KEY", default=DEBUG)

# The built-in Cloud at Cost API simulator, mounted at /sandbox/api/v1/.
CATCPANEL_SANDBOX = env.bool("CATCPANEL_SANDBOX", default=DEBUG)
# Its shape (docs|live) for new customers and for refusing a login that no customer has.
CATCPANEL_SANDBOX_SHAPE = env.str("CATCPANEL_SANDBOX_SHAPE", default="docs").strip().lower()
if CATCPANEL_SANDBOX_SHAPE not in ("docs", "live"):
    from django.core.exceptions import ImproperlyConfigured

    raise ImproperlyConfigured("CATCPANEL_SANDBOX_SHAPE must be docs or live.")

# Provider calls: connect and read timeouts in seconds, and how long lists stay cached.
CATCPANEL_CAC_CONNECT_TIMEOUT = env.float("CATCPANEL_CAC_CONNECT_TIMEOUT", default=5.0)
CATCPANEL_CAC_READ_TIMEOUT = env.float("CATCPANEL_CAC_READ_TIMEOUT", default=20.0)
CATCPANEL_CACHE_SECONDS = env.int("CATCPANEL_CACHE_SECONDS", default=30)
# GET retries on 502/503/504 wait this long, doubling each time (or what Retry-After asks, capped).
CATCPANEL_CAC_RETRY_BACKOFF = env.float("CATCPANEL_CAC_RETRY_BACKOFF", default=0.5)
# Where an account's API key may be sent (servers/cac/addresses.py): host names or host:port,
# comma-separated; a bare host matches any port. Empty: panel.cloudatcost.com (https, public
# addresses only), plus the sandbox under SITE_URL when it is mounted. Hosts listed here may use
# plain http and resolve to private addresses.
CATCPANEL_API_HOSTS = env.list("CATCPANEL_API_HOSTS", default=[])
# Every provider call ends within this many seconds, retries included, however slowly the answer
# trickles in (below gunicorn's 60 s timeout, so the worker is never killed mid-call).
CATCPANEL_CAC_TOTAL_TIMEOUT = env.float("CATCPANEL_CAC_TOTAL_TIMEOUT", default=30.0)
# The largest answer read: listservers is about 1 kB per server, so 8 MB is several thousand.
CATCPANEL_CAC_MAX_ANSWER_BYTES = env.int("CATCPANEL_CAC_MAX_ANSWER_BYTES", default=8_000_000)
# Provider calls one account may have in flight per process (each holds a worker thread); one
# more fails at once with "busy". 0: no limit.
CATCPANEL_CAC_CONCURRENCY_PER_ACCOUNT = env.int("CATCPANEL_CAC_CONCURRENCY_PER_ACCOUNT", default=2)
# Bulk power (servers/bulk.py): seconds between two calls' starts on one account, and the calls
# one bulk request keeps in flight across all accounts.
CATCPANEL_BULK_INTERVAL = env.float("CATCPANEL_BULK_INTERVAL", default=0.5)
CATCPANEL_BULK_WORKERS = env.int("CATCPANEL_BULK_WORKERS", default=8)
# Calls a person asks for past every cache (test connection, console, reveal passwords), per
# account per minute, counted in the shared cache across workers (servers/provider_limit.py).
# 0: no limit.
CATCPANEL_PROVIDER_CALLS_PER_MINUTE = env.int("CATCPANEL_PROVIDER_CALLS_PER_MINUTE", default=20)

# -------------------------------------------------------------------------------------------------
# The background worker (history/, `manage.py run_huey`, `docker/entrypoint.sh worker`): usage
# sampling and notifications. Huey keeps its queue in SQLite in the data folder on one machine, and
# in Redis when REDIS_URL is set (several replicas then share one queue).
HUEY = {
    "name": "catcpanel",
    "immediate": False,  # djhuey would run tasks inline when DEBUG is on; `make run` has a worker
    "utc": True,
    "consumer": {"workers": 2, "worker_type": "thread", "periodic": True},
}
if _redis_url:
    HUEY.update({"huey_class": "huey.RedisHuey", "url": _redis_url})
else:
    HUEY.update({"huey_class": "huey.SqliteHuey", "filename": str(DATA_DIR / "huey.sqlite3")})
    private_file(DATA_DIR / "huey.sqlite3")
# Minutes between two readings of each account's servers.
CATCPANEL_SAMPLE_MINUTES = env.int("CATCPANEL_SAMPLE_MINUTES", default=5)
# Full-resolution samples are kept this many hours; hourly averages (with min, max) this many days.
CATCPANEL_HISTORY_RAW_HOURS = env.int("CATCPANEL_HISTORY_RAW_HOURS", default=48)
CATCPANEL_HISTORY_HOURLY_DAYS = env.int("CATCPANEL_HISTORY_HOURLY_DAYS", default=90)
# Notifications: "calls keep failing" is sent once an account's reads have failed this long.
CATCPANEL_ALERT_FAILING_MINUTES = env.int("CATCPANEL_ALERT_FAILING_MINUTES", default=15)
# Webhooks to private, loopback or link-local addresses (a receiver on the same network).
CATCPANEL_WEBHOOK_ALLOW_PRIVATE = env.bool("CATCPANEL_WEBHOOK_ALLOW_PRIVATE", default=False)

# -------------------------------------------------------------------------------------------------
# Transport and browser security (SECURITY.md). Over https (SITE_URL), cookies are Secure and plain
# http is redirected, except /healthz, which the container's health check probes over http.
_https = _site.scheme == "https"
SESSION_COOKIE_SECURE = _https
CSRF_COOKIE_SECURE = _https
SESSION_COOKIE_HTTPONLY = True
# htmx sends the token from the page (hx-headers), so no script needs to read the cookie.
CSRF_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
SECURE_SSL_REDIRECT = env.bool("CATCPANEL_SSL_REDIRECT", default=_https)
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"

# Opt-in: a proxy that is not gunicorn's FORWARDED_ALLOW_IPS-trusted peer but sets a header saying
# the original request was https, e.g. X-Forwarded-Proto. Only set it when the proxy overwrites
# that header on every request: otherwise a client could claim https.
_proxy_ssl_header = env.str("SECURE_PROXY_SSL_HEADER", default="")
if _proxy_ssl_header:
    SECURE_PROXY_SSL_HEADER = ("HTTP_" + _proxy_ssl_header.upper().replace("-", "_"), "https")

# HSTS is opt-in: a wrong value keeps browsers away from plain http for its whole duration, and
# many proxies set it themselves. Without it Django's deploy check warns (security.W004); that one
# warning is silenced so that `check --deploy --fail-level WARNING` can guard everything else.
SECURE_HSTS_SECONDS = env.int("CATCPANEL_HSTS_SECONDS", default=0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("CATCPANEL_HSTS_INCLUDE_SUBDOMAINS", default=True)
SECURE_HSTS_PRELOAD = env.bool("CATCPANEL_HSTS_PRELOAD", default=False)
SILENCED_SYSTEM_CHECKS = []
if not SECURE_HSTS_SECONDS:
    SILENCED_SYSTEM_CHECKS.append("security.W004")
if not SECURE_HSTS_PRELOAD:
    # Preloading is a decision about the whole domain, made at hstspreload.org, not here.
    SILENCED_SYSTEM_CHECKS.append("security.W021")

# Content-Security-Policy (django-csp 4): scripts and styles only from the panel's own static
# files, nothing inline, no eval (htmx is configured for that in base.html's htmx-config).
_SELF, _NONE = "'self'", "'none'"
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [_SELF],
        "script-src": [_SELF],
        "style-src": [_SELF],
        "img-src": [_SELF, "data:"],
        "font-src": [_SELF],
        "connect-src": [_SELF],
        "frame-ancestors": [_NONE],
        "form-action": [_SELF],
        "base-uri": [_NONE],
        "object-src": [_NONE],
    }
}

# Error pages and reports (the DEBUG page included) hide what the code marks as secret, and any
# parameter with a secret-looking name (catcpanel/error_reports.py).
DEFAULT_EXCEPTION_REPORTER_FILTER = "catcpanel.error_reports.SecretsFilter"
DEFAULT_EXCEPTION_REPORTER = "catcpanel.error_reports.SecretsExceptionReporter"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"redact": {"()": "servers.cac.redaction.RedactingFilter"}},
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {
        "console": {"class": "logging.StreamHandler", "formatter": "plain", "filters": ["redact"]}
    },
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {
        # Django's own handlers (a second console under DEBUG, the dev server's request log) would
        # print each line twice, or once without the redaction filter: a sandbox GET's `key=` went
        # into the runserver log in clear. Listed here, they lose those handlers and use the root's.
        "django": {"level": "INFO", "propagate": True},
        "django.server": {"level": "INFO", "propagate": True},
        # urllib3 logs full URLs (with the API key in the query string) at DEBUG.
        "urllib3": {"level": "WARNING"},
        "django.db.backends": {"level": "INFO"},
    },
}
