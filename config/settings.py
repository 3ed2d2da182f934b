"""Lobby settings. The only module that reads the environment; every variable has a safe default."""

import os
import secrets
from pathlib import Path

import environ

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()

DATA_DIR = Path(env.str("LOBBY_DATA_DIR", default=str(BASE_DIR / "var"))).resolve()
DATA_DIR.mkdir(parents=True, exist_ok=True)


def _secret_key() -> str:
    """DJANGO_SECRET_KEY, else a key generated once into the data directory (mode 0600)."""
    if key := env.str("DJANGO_SECRET_KEY", default=""):
        return key
    path = DATA_DIR / "secret_key"
    try:
        return path.read_text().strip()
    except FileNotFoundError:
        tmp = path.with_name(f".secret_key.{secrets.token_hex(4)}")
        tmp.write_text(secrets.token_urlsafe(50))
        tmp.chmod(0o600)
        try:
            os.link(tmp, path)  # atomic create-if-absent: two first starts agree on one key
        except FileExistsError:
            pass
        finally:
            tmp.unlink()
        return path.read_text().strip()


SECRET_KEY = _secret_key()
DEBUG = env.bool("DJANGO_DEBUG", default=False)
PORT = env.int("PORT", default=8000)

ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "[::1]"])
CSRF_TRUSTED_ORIGINS = env.list(
    "DJANGO_CSRF_TRUSTED_ORIGINS",
    default=[f"http://127.0.0.1:{PORT}", f"http://localhost:{PORT}"],
)
# Origins a browser WebSocket may come from, compared on scheme, host and port. Same-origin
# sockets (Origin equal to the Host the socket was opened on) are always allowed.
WEBSOCKET_ALLOWED_ORIGINS = env.list("LOBBY_WEBSOCKET_ORIGINS", default=CSRF_TRUSTED_ORIGINS)
# Addresses of reverse proxies whose X-Forwarded-For/-Proto we believe. Empty: trust no header.
TRUSTED_PROXIES = env.list("LOBBY_TRUSTED_PROXIES", default=[])

INSTALLED_APPS = [
    "daphne",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.sites",
    "corsheaders",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "channels",
    "allauth",
    "allauth.account",
    "allauth.socialaccount",
    "allauth.socialaccount.providers.github",
    "allauth.socialaccount.providers.google",
    "accounts",
    "invites",
    "bingo",
    "watchparty",
    "terminals",
    "avalonbot",
]

MIDDLEWARE = [
    "config.middleware.TrustedProxyMiddleware",  # first: nothing may read X-Forwarded-Proto before
    "config.middleware.ContentSecurityPolicyMiddleware",
    "config.middleware.BodySizeLimitMiddleware",
    "config.middleware.DatabaseUnavailableMiddleware",
    "corsheaders.middleware.CorsMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "allauth.account.middleware.AccountMiddleware",
]

ROOT_URLCONF = "config.urls"
ASGI_APPLICATION = "config.asgi.application"
WSGI_APPLICATION = None
APPEND_SLASH = False

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

# --- Database: SQLite (WAL) in the data directory, or DATABASE_URL (PostgreSQL, psycopg 3).
if env.str("DATABASE_URL", default=""):
    DATABASES = {"default": env.db_url("DATABASE_URL")}
    DATABASES["default"].setdefault("CONN_MAX_AGE", 60)
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
    # A database that accepts the connection but never answers (a host gone mid-restart) must
    # not hold a thread for minutes: libpq gives up connecting after this many seconds.
    if DATABASES["default"]["ENGINE"].endswith("postgresql"):
        DATABASES["default"].setdefault("OPTIONS", {}).setdefault("connect_timeout", 3)
else:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": env.str("LOBBY_SQLITE_PATH", default=str(DATA_DIR / "lobby.sqlite3")),
            "OPTIONS": {
                "timeout": 20,
                "transaction_mode": "IMMEDIATE",
                "init_command": (
                    "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA busy_timeout=20000;"
                ),
            },
            "TEST": {"NAME": str(DATA_DIR / "test.sqlite3")},
            # Keep the connection: opening one (file, pragmas, Django's SQL functions) costs
            # more than most of the queries a socket message makes.
            "CONN_MAX_AGE": None,
        }
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Cache (rate limits, lockouts) and channel layer: Redis when REDIS_URL is set. Without it the
# cache is a table in the database, so limits and lockouts survive a restart of the web process.
REDIS_URL = env.str("REDIS_URL", default="")
# Per-socket message counters: a socket lives in one process and its counter lives as long as
# the socket, so this process's memory holds it exactly, and a message costs no round trip.
_socket_counters = {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
if REDIS_URL:
    _redis_cache = {
        "LOCATION": REDIS_URL,
        "KEY_PREFIX": "lobby",
        "OPTIONS": {"socket_timeout": 2, "socket_connect_timeout": 2},
    }
    CACHES = {
        # Rate limits and counters: degrade (fail open, logged) while Redis is down.
        "default": {"BACKEND": "config.cache.ResilientRedisCache", **_redis_cache},
        # PIN and password attempt limits: errors surface, and those limits fail closed.
        "strict": {"BACKEND": "django.core.cache.backends.redis.RedisCache", **_redis_cache},
        "counters": _socket_counters,
    }
    from redis.asyncio.retry import Retry
    from redis.backoff import ExponentialBackoff
    from redis.exceptions import ConnectionError as RedisConnectionError
    from redis.exceptions import TimeoutError as RedisTimeoutError

    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "config.channel_layer.RedisChannelLayer",
            "CONFIG": {
                # After a Redis restart, pooled connections are dead: retry on a fresh one
                # instead of failing the first handshake or broadcast.
                "hosts": [
                    {
                        "address": REDIS_URL,
                        "socket_connect_timeout": 2,
                        "retry_on_error": [RedisConnectionError, RedisTimeoutError],
                        "retry": Retry(ExponentialBackoff(cap=0.5, base=0.05), 3),
                        "max_connections": 100,  # per process; more callers wait (timeout 10 s)
                    }
                ],
                "prefix": "lobby",
                "capacity": 1000,
                "expiry": 30,
            },
        }
    }
else:
    _db_cache = {
        "BACKEND": "django.core.cache.backends.db.DatabaseCache",
        "LOCATION": "lobby_cache",
    }
    CACHES = {
        "default": _db_cache,
        "strict": _db_cache,
        "counters": _socket_counters,
    }
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "config.channel_layer.InMemoryChannelLayer",
            "CONFIG": {"capacity": 1000},
        }
    }

# --- HTTPS. Served over https (directly or behind a TLS proxy): LOBBY_HTTPS=true, or the older
# LOBBY_SECURE_COOKIES=true, turns on secure cookies, HSTS and the redirect of plain http.
LOBBY_HTTPS = env.bool("LOBBY_HTTPS", default=False) or env.bool(
    "LOBBY_SECURE_COOKIES", default=False
)
SESSION_COOKIE_SECURE = LOBBY_HTTPS
CSRF_COOKIE_SECURE = LOBBY_HTTPS
SECURE_SSL_REDIRECT = LOBBY_HTTPS
# Health checks reach the process over plain http from inside the network; they carry no
# cookies and answer nothing secret, so they are not redirected (paths without the leading /).
SECURE_REDIRECT_EXEMPT = [
    r"^health$",
    r"^ready$",
    r"^bingo/health$",
    r"^bingo/ready$",
    r"^watchparty/health$",
]
SECURE_HSTS_SECONDS = env.int("LOBBY_HSTS_SECONDS", default=365 * 24 * 3600) if LOBBY_HTTPS else 0
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("LOBBY_HSTS_INCLUDE_SUBDOMAINS", default=True)
SECURE_HSTS_PRELOAD = env.bool("LOBBY_HSTS_PRELOAD", default=False)  # opt in: hard to undo
# request.is_secure() believes X-Forwarded-Proto: https, but TrustedProxyMiddleware deletes that
# header first unless the peer is in TRUSTED_PROXIES, so only our own proxy can say it.
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

# Content-Security-Policy of every response (config.middleware.ContentSecurityPolicyMiddleware).
# Scripts only from our own static files: no inline script, handler or eval can run.
# Styles allow 'unsafe-inline': xterm.js and Swagger UI write <style> elements at run time, and
# pages keep a few style="" attributes. CSS runs no script, and templates escape what users write.
SECURE_CSP: dict[str, list[str]] = {
    "default-src": ["'self'"],
    "script-src": ["'self'"],
    "style-src": ["'self'", "'unsafe-inline'"],
    # Avatars come from the OAuth providers; Swagger UI's icons are data: URIs.
    "img-src": [
        "'self'",
        "data:",
        "https://avatars.githubusercontent.com",
        "https://*.googleusercontent.com",
    ],
    "font-src": ["'self'", "data:"],
    # A watch party plays whatever media URL its host pastes.
    "media-src": ["'self'", "https:", "http:", "blob:"],
    # 'self' covers ws:// and wss:// to this host (CSP 3): every socket goes to location.host.
    "connect-src": ["'self'"],
    "frame-src": ["'none'"],
    "object-src": ["'none'"],
    "base-uri": ["'self'"],
    "form-action": ["'self'"],
    "frame-ancestors": ["'none'"],
}

# --- Identity
AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
LOGIN_URL = "/accounts/login/"
LOGIN_REDIRECT_URL = "/"
LOGOUT_REDIRECT_URL = "/"
SITE_ID = 1

# API sessions (device login's session id, ProofPlay's X-Session-Id): lifetime in seconds.
API_SESSION_TTL = env.int("LOBBY_API_SESSION_TTL", default=30 * 24 * 3600)
DEVICE_CODE_TTL = env.int("LOBBY_DEVICE_CODE_TTL", default=600)
DEVICE_CODE_INTERVAL = env.int("LOBBY_DEVICE_CODE_INTERVAL", default=5)
DEVICE_CODE_RATE = env.str("LOBBY_DEVICE_CODE_RATE", default="30/m")
ACTIVATE_WRONG_CODE_RATE = env.str("LOBBY_ACTIVATE_WRONG_CODE_RATE", default="10/10m")
# Device polls with an unknown auth_code_hash, per client address (guessing is slowed).
AUTH_POLL_MISS_RATE = env.str("AUTH_POLL_MISS_RATE", default="30/m")

# --- Mail: EMAIL_URL in django-environ's syntax (smtp+tls://user:pass@host:587 for STARTTLS,
# smtp+ssl://…:465, consolemail://). Unset: no mail is sent (never localhost:25) and password
# reset by mail is not offered; an owner sets passwords in the Django admin instead.
EMAIL_URL = env.str("EMAIL_URL", default="")
EMAIL_CONFIGURED = bool(EMAIL_URL)
_email = env.email_url("EMAIL_URL") if EMAIL_CONFIGURED else {}  # a bad scheme stops start-up
EMAIL_BACKEND = _email.get("EMAIL_BACKEND", "django.core.mail.backends.dummy.EmailBackend")
EMAIL_HOST = _email.get("EMAIL_HOST") or "localhost"
EMAIL_PORT = _email.get("EMAIL_PORT") or 25
EMAIL_HOST_USER = _email.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = _email.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = bool(_email.get("EMAIL_USE_TLS", False))
EMAIL_USE_SSL = bool(_email.get("EMAIL_USE_SSL", False))
EMAIL_TIMEOUT = 10  # seconds an SMTP connection may take
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="Lobby <noreply@localhost>")

# django-allauth: local email + password sign-in on by default; GitHub and Google when configured.
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_EMAIL_VERIFICATION = "none"
ACCOUNT_LOGOUT_ON_GET = False
ACCOUNT_SESSION_REMEMBER = True
ACCOUNT_ALLOW_SIGNUP = env.bool("LOBBY_ALLOW_SIGNUP", default=True)
ACCOUNT_ADAPTER = "accounts.adapters.AccountAdapter"
ACCOUNT_RATE_LIMITS = {"login_failed": "10/m/ip,5/5m/key"}
SOCIALACCOUNT_ADAPTER = "accounts.adapters.SocialAccountAdapter"
SOCIALACCOUNT_LOGIN_ON_GET = True
SOCIALACCOUNT_EMAIL_AUTHENTICATION = True
SOCIALACCOUNT_EMAIL_AUTHENTICATION_AUTO_CONNECT = True
SOCIALACCOUNT_REQUESTS_TIMEOUT = 5
SOCIALACCOUNT_PROVIDERS = {}
for _provider, _scope, _authorize_origin in (
    ("github", ["read:user", "user:email"], "https://github.com"),
    ("google", ["profile", "email"], "https://accounts.google.com"),
):
    _client_id = env.str(f"{_provider.upper()}_CLIENT_ID", default="")
    _secret = env.str(f"{_provider.upper()}_CLIENT_SECRET", default="")
    if _client_id and _secret:
        SOCIALACCOUNT_PROVIDERS[_provider] = {
            "APPS": [{"client_id": _client_id, "secret": _secret, "key": ""}],
            "SCOPE": _scope,
        }
        # A sign-in form's POST may redirect on to the provider (CSP form-action covers it).
        SECURE_CSP["form-action"].append(_authorize_origin)

# --- REST APIs
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "accounts.authentication.BearerSessionAuthentication",
        "accounts.authentication.CookieSessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.AllowAny"],
    "DEFAULT_PARSER_CLASSES": ["config.parsers.JSONParser"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "EXCEPTION_HANDLER": "config.errors.exception_handler",
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Lobby API",
    "DESCRIPTION": (
        "Every REST endpoint of Lobby: device login and host invites (Parsec), ProofPlay bingo, "
        "WatchParty, CHROTE Multiplayer terminals and the ProAvalon bot API.\n\n"
        "## Getting a credential\n"
        '- **apiSession (Bearer)**: device login. `POST /auth/codes {"game_id"}` (an '
        "application an admin registered) gives a `user_code` and a `hash`; a signed-in person "
        'approves the code at `/activate`; `POST /auth/sessions {"auth_code_hash"}` then '
        "answers the session id. Send it as `Authorization: Bearer <id>`.\n"
        "- **ProofPlaySession (X-Session-Id)** and **proofPlayBearer**: `POST /bingo/auth/"
        'session {"email", "device_key_hash"}` answers a `session_id`, a bingo-only '
        "guest unless you are already signed in as that email (then your account, and `admin` "
        "for workspace admins and owners). It is valid on `/bingo/` only.\n"
        "- **WatchParty room token**: `POST /watchparty/api/sessions/create` or "
        "`…/join` with the room password answers a `token` for that one room.\n"
        "- **cookieAuth**: sign in at `/accounts/login/` (email, GitHub or Google); cookie "
        "writes need the CSRF token (`X-CSRFToken`).\n"
        "- **ProAvalon's key**: `Authorization: <key>` with a key from `AVALON_API_KEY` or "
        "the admin's *API keys*.\n"
        "Terminal routes need a workspace member; the first account is the owner."
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    # No badge from validator.swagger.io: it would send our schema's URL there (and CSP blocks it).
    "SWAGGER_UI_SETTINGS": {"deepLinking": True, "validatorUrl": None},
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
}

# Request bodies above this many bytes are refused with 413 before they are read.
LOBBY_MAX_BODY_BYTES = env.int("LOBBY_MAX_BODY_BYTES", default=1024 * 1024)
DATA_UPLOAD_MAX_MEMORY_SIZE = LOBBY_MAX_BODY_BYTES
LOBBY_MAX_JSON_DEPTH = 64
# Deadlines for a request's line and headers, and for its body (config/server.py), in seconds,
# and the open WebSockets one client address may hold per process (0: no cap; config/limits.py).
LOBBY_HTTP_HEADER_TIMEOUT = env.float("LOBBY_HTTP_HEADER_TIMEOUT", default=5.0)
LOBBY_HTTP_BODY_TIMEOUT = env.float("LOBBY_HTTP_BODY_TIMEOUT", default=30.0)
LOBBY_WS_PER_IP = env.int("LOBBY_WS_PER_IP", default=100)

RATELIMIT_IP_META_KEY = "config.net.ratelimit_ip"
RATELIMIT_VIEW = "config.errors.ratelimited_view"
RATELIMIT_FAIL_OPEN = True  # only while the cache is down (see config/cache.py)

# --- CORS: WatchParty documents configurable origins with credentials. They apply to the
# /watchparty/ routes only, and are also what the watch-party socket's Origin check allows
# beside WEBSOCKET_ALLOWED_ORIGINS (other apps' sockets do not allow them).
WATCHPARTY_CORS_ORIGINS = env.list("WATCHPARTY_CORS_ORIGINS", default=[])
CORS_ALLOWED_ORIGINS = WATCHPARTY_CORS_ORIGINS
CORS_ALLOW_CREDENTIALS = True
CORS_URLS_REGEX = r"^/watchparty/.*$"
CORS_EXPOSE_HEADERS = [
    "X-RateLimit-Limit",
    "X-RateLimit-Remaining",
    "X-RateLimit-Reset",
    "Retry-After",
]

# --- Apps
BINGO_ADMIN_EMAILS = [e.lower() for e in env.list("BINGO_ADMIN_EMAILS", default=[])]
BINGO_TSA_URLS = env.list("BINGO_TSA_URLS", default=[])
# PEM files of the CA certificates an external authority's token must chain to. Empty: no
# external authority is trusted (BINGO_TSA_URLS is then not contacted; the local one signs).
BINGO_TSA_TRUST_ANCHORS = env.list("BINGO_TSA_TRUST_ANCHORS", default=[])
BINGO_RATE_GET = env.str("BINGO_RATE_GET", default="60/m")
BINGO_RATE_POST = env.str("BINGO_RATE_POST", default="15/m")
WATCHPARTY_RATE_CREATE = env.str("WATCHPARTY_RATE_CREATE", default="5/h")
WATCHPARTY_RATE_JOIN = env.str("WATCHPARTY_RATE_JOIN", default="10/m")
WATCHPARTY_RATE_WS = env.str("WATCHPARTY_RATE_WS", default="100/m")
WATCHPARTY_ICE_SERVERS = env.json("WATCHPARTY_ICE_SERVERS", default=[])
# Where WatchParty's own web app is served, if it is: share_url then points at its join page.
WATCHPARTY_APP_URL = env.str("WATCHPARTY_APP_URL", default="").rstrip("/")
TERMINALS_TMUX_SOCKET = env.str("TERMINALS_TMUX_SOCKET", default="")
# "k1, k2" in an env file means two keys; the keys themselves are compared exactly.
AVALON_API_KEY = [key.strip() for key in env.list("AVALON_API_KEY", default=[]) if key.strip()]
# A bot session with no call for this many seconds is ended ("expired") and answers 404.
AVALON_SESSION_TTL = env.int("AVALON_SESSION_TTL", default=24 * 3600)
AVALON_SEARCH = env.bool("AVALON_SEARCH", default=True)  # the bot's look-ahead

# --- Static files
STATIC_URL = "/static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = DATA_DIR / "static"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env.str("LOBBY_LOG_LEVEL", default="INFO")},
    "loggers": {"django.request": {"level": "ERROR"}},
}

# Callables (dotted paths) `manage.py lobby_setup` runs after migrating, e.g. key generation.
LOBBY_SETUP_HOOKS: list[str] = ["bingo.tsa.ensure_local_authority"]

# --- watchparty
WATCHPARTY_BCRYPT_ROUNDS = env.int("WATCHPARTY_BCRYPT_ROUNDS", default=12)
WATCHPARTY_TOKEN_TTL = env.int("WATCHPARTY_TOKEN_TTL", default=3600)
WATCHPARTY_SESSION_TTL = env.int("WATCHPARTY_SESSION_TTL", default=24 * 3600)
WATCHPARTY_MAX_PARTICIPANTS = env.int("WATCHPARTY_MAX_PARTICIPANTS", default=10)
WATCHPARTY_RECONNECT_GRACE = env.float("WATCHPARTY_RECONNECT_GRACE", default=60.0)

# --- invites
INVITES_WORKSPACE_MIN_EXPIRES = env.int("INVITES_WORKSPACE_MIN_EXPIRES", default=300)
INVITES_WORKSPACE_MAX_EXPIRES = env.int("INVITES_WORKSPACE_MAX_EXPIRES", default=30 * 24 * 3600)
INVITES_RATE_CREATE = env.str("INVITES_RATE_CREATE", default="60/m")
INVITES_RATE_LOOKUP = env.str("INVITES_RATE_LOOKUP", default="30/m")

# --- terminals
TERMINALS_CLAIM_TTL = env.int("TERMINALS_CLAIM_TTL", default=30 * 60)
TERMINALS_HEARTBEAT_TIMEOUT = env.float("TERMINALS_HEARTBEAT_TIMEOUT", default=45.0)
TERMINALS_PRESENCE_TTL = env.int("TERMINALS_PRESENCE_TTL", default=90)
TERMINALS_MAX_KEYS_BYTES = env.int("TERMINALS_MAX_KEYS_BYTES", default=64 * 1024)
# Each socket's share of a pane's output, in characters: past it, the pane is repainted instead
# (terminals.streams.OutputFlow), so a flood cannot pile up behind a slow browser.
TERMINALS_OUTPUT_RATE = env.int("TERMINALS_OUTPUT_RATE", default=256 * 1024)  # per second
TERMINALS_OUTPUT_BURST = env.int("TERMINALS_OUTPUT_BURST", default=1024 * 1024)
