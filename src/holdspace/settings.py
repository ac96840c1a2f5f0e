"""Holdspace settings: one module, read from the environment.

Typed helpers refuse bad values at start-up with a message that names the variable, so a
misconfigured clinic server stops before it serves a single page.
"""

from __future__ import annotations

import os
import secrets
from datetime import timedelta
from pathlib import Path

import dj_database_url
import django_stubs_ext
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

# Lets generic annotations such as ModelAdmin[Model] work at run time, as django-stubs types them.
django_stubs_ext.monkeypatch()

PACKAGE_DIR = Path(__file__).resolve().parent
BASE_DIR = PACKAGE_DIR.parent.parent


def env_str(name: str, default: str = "") -> str:
    return os.environ.get(name, default).strip()


def env_bool(name: str, default: bool) -> bool:
    raw = env_str(name)
    if not raw:
        return default
    if raw.lower() in {"1", "true", "yes", "on"}:
        return True
    if raw.lower() in {"0", "false", "no", "off"}:
        return False
    raise ImproperlyConfigured(f"{name} must be true or false, not {raw!r}.")


def env_int(name: str, default: int) -> int:
    raw = env_str(name)
    if not raw:
        return default
    try:
        return int(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be a whole number, not {raw!r}.") from None


def env_list(name: str, default: list[str]) -> list[str]:
    raw = env_str(name)
    if not raw:
        return default
    return [item.strip() for item in raw.split(",") if item.strip()]


HOLDSPACE_ENV = env_str("HOLDSPACE_ENV", "development")
if HOLDSPACE_ENV not in {"development", "test", "production"}:
    raise ImproperlyConfigured(
        f"HOLDSPACE_ENV must be development, test or production, not {HOLDSPACE_ENV!r}."
    )
PRODUCTION = HOLDSPACE_ENV == "production"

# Reviewed clinical data files (instruments, rules, protocols), each naming its source.
DATA_DIR = PACKAGE_DIR / "data"

VAR_DIR = Path(env_str("HOLDSPACE_VAR_DIR", str(BASE_DIR / "var")))


def _secret_key() -> str:
    """SECRET_KEY, or the file SECRET_KEY_FILE names; a generated key only for local use."""
    if key := env_str("SECRET_KEY"):
        return key
    if path := env_str("SECRET_KEY_FILE"):
        try:
            key = Path(path).read_text().strip()
        except OSError as error:
            raise ImproperlyConfigured(
                f"SECRET_KEY_FILE {path!r} cannot be read: {error}."
            ) from None
        if not key:
            raise ImproperlyConfigured(f"SECRET_KEY_FILE {path!r} is empty.")
        return key
    if PRODUCTION:
        raise ImproperlyConfigured(
            "HOLDSPACE_ENV=production needs SECRET_KEY or SECRET_KEY_FILE; "
            "a generated local key is never used in production."
        )
    local = VAR_DIR / "secret_key"
    if not local.exists():
        VAR_DIR.mkdir(parents=True, exist_ok=True)
        local.write_text(secrets.token_urlsafe(64))
        local.chmod(0o600)
    return local.read_text().strip()


SECRET_KEY = _secret_key()


def _audit_key_file() -> str:
    """The key of the audit chain's HMAC, kept outside the database (see audit/keys.py).

    Production must name it (AUDIT_KEY_FILE; a system check refuses to start without it);
    elsewhere a key is generated under var/ on first use.
    """
    if path := env_str("AUDIT_KEY_FILE"):
        return path
    if PRODUCTION:
        return ""
    local = VAR_DIR / "audit_key"
    if not local.exists():
        VAR_DIR.mkdir(parents=True, exist_ok=True)
        local.write_text(secrets.token_hex(32))
        local.chmod(0o600)
    return str(local)


AUDIT_KEY_FILE = _audit_key_file()
# Every this many appended audit rows, the writer seals the rows gathered so far into the
# chain after its commit (skipping if another is sealing). 1 seals after every append.
AUDIT_SEAL_EVERY = env_int("AUDIT_SEAL_EVERY", 64)

DEBUG = env_bool("HOLDSPACE_DEBUG", default=HOLDSPACE_ENV == "development")
ALLOWED_HOSTS = env_list(
    "ALLOWED_HOSTS", [] if PRODUCTION else ["127.0.0.1", "localhost", "[::1]", "testserver"]
)
if PRODUCTION and not ALLOWED_HOSTS:
    raise ImproperlyConfigured("HOLDSPACE_ENV=production needs ALLOWED_HOSTS (comma separated).")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])


def _database() -> dict[str, object]:
    default_url = f"sqlite:///{VAR_DIR / 'holdspace.sqlite3'}"
    url = env_str("DATABASE_URL", default_url)
    try:
        config: dict[str, object] = dict(dj_database_url.parse(url, conn_max_age=60))
    except (ValueError, KeyError) as error:
        raise ImproperlyConfigured(
            f"DATABASE_URL is not a database address Holdspace understands ({error}). "
            "Use sqlite:///path/to/file.sqlite3 or postgres://user@host:5432/name."
        ) from None
    engine = str(config.get("ENGINE", ""))
    if engine.endswith("sqlite3"):
        name = str(config.get("NAME") or "")
        if not name or name == ":memory:":
            raise ImproperlyConfigured("DATABASE_URL for SQLite must name a file.")
        Path(name).parent.mkdir(parents=True, exist_ok=True)
        # WAL lets readers and the single writer work at once; IMMEDIATE takes the write
        # lock at BEGIN so concurrent writers queue instead of failing mid-transaction.
        config["OPTIONS"] = {
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
            "transaction_mode": "IMMEDIATE",
            "timeout": 20,
        }
        config["CONN_MAX_AGE"] = 0
        # Tests use a file, not SQLite's shared in-memory database: the browser tests' live
        # server answers requests in threads, and threads sharing one in-memory connection
        # trip over each other's savepoints.
        test_name = env_str("TEST_DATABASE_NAME") or str(
            Path(name).with_name("test-" + Path(name).name)
        )
        config["TEST"] = {"NAME": test_name}
    elif engine.endswith("postgresql"):
        options: dict[str, object] = dict(config.get("OPTIONS") or {})  # type: ignore[call-overload]
        config["OPTIONS"] = options
        # A kept connection that the server dropped (restart, failover, idle kill) is found
        # and replaced before the request uses it, instead of failing that request.
        config["CONN_HEALTH_CHECKS"] = True
        # Statements run again and again (core.compiled.prepared_cursor) are prepared on their
        # second run on a connection. Django's own queries are never prepared. Set
        # HOLDSPACE_DB_PREPARE=0 behind a pooler in transaction mode that cannot keep prepared
        # statements (PgBouncer before 1.21, or without max_prepared_statements).
        if env_bool("HOLDSPACE_DB_PREPARE", default=True):
            options.setdefault("prepare_threshold", 2)
    else:
        raise ImproperlyConfigured(
            f"DATABASE_URL uses an engine Holdspace does not support ({engine}); "
            "use sqlite or postgres."
        )
    config["ATOMIC_REQUESTS"] = False
    config.setdefault("TEST", {"NAME": env_str("TEST_DATABASE_NAME") or None})
    return config


DATABASES = {"default": _database()}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

INSTALLED_APPS = [
    "holdspace.core",
    "holdspace.people",
    "holdspace.audit",
    "holdspace.api",
    "holdspace.screening",
    "holdspace.measures",
    "holdspace.courses",
    "holdspace.preparation",
    "holdspace.integration",
    "holdspace.portal",
    "holdspace.sessions",
    "holdspace.review",
    "holdspace.outcomes",
    "holdspace.exports",
    "holdspace.studies",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "allauth",
    "allauth.account",
    "allauth.mfa",
    "axes",
    "ninja",
    "django_tasks",
    "django_tasks_db",
    "csp",
]

MIDDLEWARE = [
    "holdspace.core.logs.AccessLogMiddleware",
    # Errors under /api/v1/fhir/ that no API handler made become OperationOutcomes.
    "holdspace.api.middleware.FhirErrorMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "holdspace.core.middleware.PrivateResponseMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "holdspace.core.middleware.LoginRequiredMiddleware",
    "holdspace.people.middleware.MembershipMiddleware",
    "holdspace.people.middleware.IdleTimeoutMiddleware",
    "holdspace.people.middleware.SecondFactorRequiredMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    # Axes last, as its documentation asks: it turns a lockout into the lockout page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "holdspace.urls"
WSGI_APPLICATION = "holdspace.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [PACKAGE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "holdspace.people.context_processors.shell",
            ],
        },
    },
]

AUTH_USER_MODEL = "people.User"
AUTHENTICATION_BACKENDS = [
    # Axes first, so a locked account is refused before any password is checked.
    "axes.backends.AxesStandaloneBackend",
    # allauth's sign-in by email; its get_user also brings the membership (people/backends.py).
    "holdspace.people.backends.StaffBackend",
]
if HOLDSPACE_ENV == "test":
    # Tests create many users; a fast hash keeps the suite quick. Never used outside tests.
    PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "account_login"

# django-allauth: email and password, no self sign-up (staff are invited by a clinic admin),
# and a second factor that every staff member must enrol (enforced by our middleware).
ACCOUNT_ADAPTER = "holdspace.people.adapters.StaffAccountAdapter"
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_EMAIL_VERIFICATION = "none"
ACCOUNT_LOGOUT_ON_PASSWORD_CHANGE = False
ACCOUNT_SESSION_REMEMBER = False
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes", "webauthn"]
MFA_TOTP_ISSUER = "Holdspace"
MFA_FORMS = {"activate_totp": "holdspace.core.mfa.StableSecretActivateTOTPForm"}
MFA_PASSKEY_LOGIN_ENABLED = False
# How long an invitation link (staff or client) works; it also stops working once used.
INVITATION_MAX_AGE_DAYS = env_int("INVITATION_MAX_AGE_DAYS", 7)
MFA_WEBAUTHN_ALLOW_INSECURE_ORIGIN = not PRODUCTION

# django-axes: lock after repeated wrong passwords for an account.
AXES_FAILURE_LIMIT = env_int("AXES_FAILURE_LIMIT", 5)
# Personal API tokens expire after this many days; the API is throttled per token (or
# signed-in user) and per address, and failed token guesses per address are limited further.
API_TOKEN_DAYS = env_int("API_TOKEN_DAYS", 90)
API_RATE_PER_TOKEN = env_str("API_RATE_PER_TOKEN", "300/m")
API_RATE_PER_ADDRESS = env_str("API_RATE_PER_ADDRESS", "3000/m")
API_FAILED_AUTH_PER_ADDRESS = env_str("API_FAILED_AUTH_PER_ADDRESS", "30/m")
AXES_COOLOFF_TIME = timedelta(minutes=env_int("AXES_COOLOFF_MINUTES", 15))
# By account only: a clinic's staff often share one IP address behind NAT, and locking that
# address would lock out the whole clinic for one person's typos (hence axes.W006 silenced).
AXES_LOCKOUT_PARAMETERS = ["username"]
# allauth's own per-account limit would answer before axes sees the attempt, so allauth keeps
# only its per-address throttle and axes owns account lockout. The per-address limit is set for
# a clinic whose whole staff shares one address: enough for many people's typos at once, still
# a brake on password spraying from one address.
_LOGINS_PER_ADDRESS = env_int("LOGIN_ATTEMPTS_PER_ADDRESS_PER_MINUTE", 120)
ACCOUNT_RATE_LIMITS = {
    "login": f"{_LOGINS_PER_ADDRESS}/m/ip",
    "login_failed": f"{_LOGINS_PER_ADDRESS}/m/ip",
}
SILENCED_SYSTEM_CHECKS = ["axes.W006"]
AXES_USERNAME_CALLABLE = "holdspace.people.adapters.axes_username"
AXES_LOCKOUT_CALLABLE = "holdspace.people.adapters.lockout_response"
AXES_RESET_ON_SUCCESS = True
AXES_VERBOSE = False
AXES_ENABLE_ACCESS_FAILURE_LOG = False

# Sessions: the idle limit is a clinic setting (Clinic.idle_timeout_minutes, default 30);
# this is only the hard upper bound for any session.
SESSION_ENGINE = "holdspace.core.sessions"  # Django's database sessions, read in one fixed query
SESSION_COOKIE_AGE = 12 * 60 * 60
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_HTTPONLY = True
CSRF_FAILURE_VIEW = "holdspace.core.views.csrf_failure"
DEFAULT_IDLE_TIMEOUT_MINUTES = 30

SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
if PRODUCTION:
    SESSION_COOKIE_SECURE = env_bool("SESSION_COOKIE_SECURE", True)
    CSRF_COOKIE_SECURE = env_bool("CSRF_COOKIE_SECURE", True)
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
    SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    if env_bool("HOLDSPACE_BEHIND_PROXY", True):
        SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

# Where the site's backups land; `holdspace validate` checks that the newest is recent.
HOLDSPACE_BACKUP_DIR = env_str("HOLDSPACE_BACKUP_DIR")

LANGUAGE_CODE = "en"
LANGUAGES = [("en", _("English")), ("nb", _("Norwegian Bokmål"))]
LOCALE_PATHS = [PACKAGE_DIR / "locale"]
FORMAT_MODULE_PATH = ["holdspace.formats"]
USE_I18N = True
TIME_ZONE = env_str("TIME_ZONE", "Europe/Oslo")
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "static" if PRODUCTION else None  # collectstatic only in production
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if PRODUCTION
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}
# Outside production WhiteNoise serves straight from the apps, so no collectstatic step.
WHITENOISE_USE_FINDERS = not PRODUCTION
WHITENOISE_AUTOREFRESH = DEBUG

EMAIL_BACKEND = env_str(
    "EMAIL_BACKEND",
    "django.core.mail.backends.smtp.EmailBackend"
    if PRODUCTION
    else "django.core.mail.backends.console.EmailBackend",
)
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "holdspace@localhost")

# In the database, so every server process shares allauth's rate limits and used TOTP codes.
# The table is made by the migration core.0001_cache_table.
CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.db.DatabaseCache",
        "LOCATION": "holdspace_cache",
    }
}

NINJA_PAGINATION_PER_PAGE = 50

# Background work (reminders, scheduled measures) in the database: no broker to run.
# `holdspace db_worker` runs the queue; tests run tasks at once.
TASKS = {
    "default": {
        "BACKEND": "django_tasks.backends.immediate.ImmediateBackend"
        if HOLDSPACE_ENV == "test"
        else "django_tasks_db.DatabaseBackend"
    }
}

# Never log clinical content: requests are logged by path and status only, never bodies.
# Content-Security-Policy (django-csp): scripts only from our own static files, never inline,
# and no page may be framed. Inline styles stay allowed: htmx adds its indicator style and a
# few templates set a width; a style cannot run code.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'", "'unsafe-inline'"],
        "img-src": ["'self'", "data:"],  # data: for the TOTP enrolment QR code
        "connect-src": ["'self'"],
        "font-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
}
# Browser features no page of Holdspace uses; security keys (WebAuthn) stay allowed here.
PERMISSIONS_POLICY = (
    "camera=(), microphone=(), geolocation=(), payment=(), usb=(), serial=(), bluetooth=(), "
    "interest-cohort=(), browsing-topics=(), "
    "publickey-credentials-get=(self), publickey-credentials-create=(self)"
)

# Secrets in paths (one-time links, calendar feeds, reset keys, API tokens) are redacted on
# every line, and a refused request is one line without a traceback (core/logs.py).
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"redact": {"()": "holdspace.core.logs.RedactFilter"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "filters": ["redact"]}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "WARNING")},
    "loggers": {
        "django": {"handlers": ["console"], "level": "WARNING", "propagate": False},
        # The development server's own request lines: the access log below replaces them.
        "django.server": {"handlers": ["console"], "level": "ERROR", "propagate": False},
        "holdspace.access": {
            "handlers": ["console"],
            "level": "INFO" if env_bool("ACCESS_LOG", default=True) else "WARNING",
            "propagate": False,
        },
    },
}
