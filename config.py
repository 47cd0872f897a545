"""Configuration read from the environment.

FUNDCRM_ENV selects the class (development, production, test); every FUNDCRM_* variable
below overrides the matching setting.
"""

import os
import secrets
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

ROOT = Path(__file__).resolve().parent


def instance_path() -> Path:
    """The folder for the SQLite file, the generated secret key and uploads."""
    return Path(os.environ.get("FUNDCRM_INSTANCE_PATH", ROOT / "instance")).resolve()


def _env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _dev_secret_key(folder: Path) -> str:
    """Generate a key once and keep it in the instance folder, so sessions survive restarts."""
    key_file = folder / "secret_key"
    if not key_file.exists():
        folder.mkdir(parents=True, exist_ok=True)
        key_file.write_text(secrets.token_hex(32))
        key_file.chmod(0o600)
    return key_file.read_text().strip()


def _time_zone(name: str) -> str:
    """The fund's time zone, checked when the app starts rather than on the first date."""
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise RuntimeError(
            f"FUNDCRM_TIMEZONE={name!r} is not a time zone name (e.g. Asia/Shanghai)"
        ) from None
    return name


class Config:
    """Defaults; the environment is read when the class is instantiated, not at import."""

    SESSION_COOKIE_NAME = "fundcrm_session"
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SECURE_COOKIES_DEFAULT = False
    REMEMBER_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_SAMESITE = "Lax"
    WTF_CSRF_TIME_LIMIT = None  # the token lives as long as the session
    BABEL_DEFAULT_LOCALE = "zh_CN"
    LANGUAGES = ("zh_CN", "en")
    CLI_LOCALE = "en"
    PASSWORD_MIN_LENGTH = 10
    PASSWORD_HASH_METHOD = "scrypt"  # noqa: S105 - a hash method name, not a password
    LOGIN_MAX_FAILURES = 5
    LOGIN_WINDOW_MINUTES = 15
    LOGIN_LOCK_MINUTES = 15
    PER_PAGE = 50
    # A list search held by more than this many companies (asked of the search index) walks
    # the list in its order instead of gathering every match, and counts at most
    # SEARCH_COUNT_CAP rows ("More than 1,000 records"); see fundcrm.listing.search_is_broad.
    SEARCH_BROAD_OVER = int(os.environ.get("FUNDCRM_SEARCH_BROAD_OVER", "10000"))
    SEARCH_COUNT_CAP = int(os.environ.get("FUNDCRM_SEARCH_COUNT_CAP", "1000"))
    # Defaults for new sub-funds and commitments (DOMAIN.md sections 1 and 4); each record
    # keeps its own value, edited by an administrator.
    DEFAULT_PROJECT_CAP_PCT = "20"
    DEFAULT_IC_QUORUM = "2/3"
    DEFAULT_IC_THRESHOLD = "2/3"
    DEFAULT_IC_MIN_ELIGIBLE = 2
    DEFAULT_REINVEST_RATIO = "1.2"
    DEFAULT_REINVEST_BASE = "committed"
    DEFAULT_REINVEST_AREA = "chongqing"
    DEFAULT_REINVEST_MULTIPLIER = "2"  # a relocated company's cost counts this many times
    # Compliance alerts (DOMAIN.md section 1): re-investment "at risk" below this share of the
    # requirement within this many months of its deadline; a company "near the cap" from this
    # share of it.
    REINVEST_AT_RISK_PCT = "90"
    REINVEST_AT_RISK_MONTHS = 12
    CAP_NEAR_PCT = "90"
    DEAL_REF_PREFIX = "XM"
    BOARD_CARDS_PER_STAGE = 20
    MAX_UPLOAD_MB = 50  # documents
    MAX_IMPORT_MB = 50  # spreadsheets to import
    MAX_IMPORT_INFLATED_MB = 200  # an XLSX unpacked (a zip bomb is refused)
    MAX_IMPORT_ROWS = 200_000
    # Background jobs (fundcrm.jobs): exports and web imports with more rows than these run
    # in `fundcrm worker` instead of the request.
    EXPORT_JOB_ROWS = 20_000
    IMPORT_JOB_ROWS = 5_000
    JOB_HEARTBEAT_SECONDS = 2  # a running job writes its progress and heartbeat this often
    JOB_STALE_SECONDS = 60  # a running job silent this long is marked failed (its worker died)
    JOB_RESULT_DAYS = 7  # result files are removed this long after the job finished
    JOB_REQUEUE_MINUTES = 10  # a job queued this long is queued again (its task may be lost)
    JOBS_IMMEDIATE = False  # run each job inside the request that starts it (the test suite)
    # Notifications (fundcrm.notifications): a condition subsequent due within this many days
    # is announced; email only when an SMTP host is set.
    NOTIFY_DUE_DAYS = 14
    SMTP_PORT = 25
    # The JSON API (fundcrm.api): requests per token (Flask-Limiter's notation), the largest
    # body, and the expiry a new token is offered with on the account page.
    API_RATE_LIMIT = "600/minute"
    API_MAX_BODY_KB = 256
    API_TOKEN_DAYS = 90
    TESTING = False
    DEBUG = False

    def __init__(self):
        self.INSTANCE_PATH = instance_path()
        self.DATABASE_URL = os.environ.get(
            "FUNDCRM_DATABASE_URL", f"sqlite:///{self.INSTANCE_PATH / 'fundcrm.db'}"
        )
        self.SECRET_KEY = os.environ.get("FUNDCRM_SECRET_KEY") or getattr(self, "SECRET_KEY", None)
        secure = _env_bool("FUNDCRM_SECURE_COOKIES", self.SECURE_COOKIES_DEFAULT)
        self.SESSION_COOKIE_SECURE = self.REMEMBER_COOKIE_SECURE = secure
        self.BABEL_DEFAULT_TIMEZONE = _time_zone(
            os.environ.get("FUNDCRM_TIMEZONE", "Asia/Shanghai")
        )
        self.CLI_LOCALE = os.environ.get("FUNDCRM_CLI_LOCALE", self.CLI_LOCALE)
        for name in ("LOGIN_MAX_FAILURES", "LOGIN_WINDOW_MINUTES", "LOGIN_LOCK_MINUTES"):
            setattr(self, name, int(os.environ.get(f"FUNDCRM_{name}", getattr(self, name))))
        for name in ("MAX_UPLOAD_MB", "MAX_IMPORT_MB", "MAX_IMPORT_INFLATED_MB", "MAX_IMPORT_ROWS"):
            setattr(self, name, int(os.environ.get(f"FUNDCRM_{name}", getattr(self, name))))
        # The queue: Redis in production, else an SQLite file in the instance folder.
        self.REDIS_URL = os.environ.get("FUNDCRM_REDIS_URL") or None
        # The API's rate-limit counters: in Redis whenever it is set (shared by every worker
        # process), else in this process's memory (one process only: fundcrm.api refuses more).
        self.RATELIMIT_STORAGE_URI = (
            os.environ.get("FUNDCRM_RATELIMIT_STORAGE_URL") or self.REDIS_URL or "memory://"
        )
        self.API_RATE_LIMIT = os.environ.get("FUNDCRM_API_RATE_LIMIT", self.API_RATE_LIMIT)
        for name in ("API_MAX_BODY_KB", "API_TOKEN_DAYS"):
            setattr(self, name, int(os.environ.get(f"FUNDCRM_{name}", getattr(self, name))))
        for name in (
            "EXPORT_JOB_ROWS",
            "IMPORT_JOB_ROWS",
            "JOB_HEARTBEAT_SECONDS",
            "JOB_STALE_SECONDS",
            "JOB_RESULT_DAYS",
            "JOB_REQUEUE_MINUTES",
        ):
            setattr(self, name, int(os.environ.get(f"FUNDCRM_{name}", getattr(self, name))))
        self.NOTIFY_DUE_DAYS = int(os.environ.get("FUNDCRM_NOTIFY_DUE_DAYS", self.NOTIFY_DUE_DAYS))
        self.SMTP_HOST = os.environ.get("FUNDCRM_SMTP_HOST") or None
        self.SMTP_PORT = int(os.environ.get("FUNDCRM_SMTP_PORT", self.SMTP_PORT))
        self.SMTP_USER = os.environ.get("FUNDCRM_SMTP_USER") or None
        self.SMTP_PASSWORD = os.environ.get("FUNDCRM_SMTP_PASSWORD") or None
        self.SMTP_FROM = os.environ.get("FUNDCRM_SMTP_FROM") or "fundcrm@localhost"
        self.SMTP_STARTTLS = _env_bool("FUNDCRM_SMTP_STARTTLS", False)
        # Flask refuses larger requests before reading them (413, with its own page).
        self.MAX_CONTENT_LENGTH = (max(self.MAX_UPLOAD_MB, self.MAX_IMPORT_MB) + 1) * 2**20
        self.check_secret_key()

    def check_secret_key(self):
        if not self.SECRET_KEY:
            self.SECRET_KEY = _dev_secret_key(self.INSTANCE_PATH)

    def as_dict(self) -> dict:
        return {k: getattr(self, k) for k in dir(self) if k.isupper()}


class DevelopmentConfig(Config):
    pass


class ProductionConfig(Config):
    SECURE_COOKIES_DEFAULT = True

    def check_secret_key(self):
        if not self.SECRET_KEY:
            raise RuntimeError(
                "FUNDCRM_SECRET_KEY must be set in production "
                '(generate one with: python -c "import secrets; print(secrets.token_hex(32))")'
            )


class TestConfig(Config):
    TESTING = True
    SECRET_KEY = "test-secret-key"  # noqa: S105 - tests only
    # Cheap hashes keep the suite fast; production keeps scrypt.
    PASSWORD_HASH_METHOD = "pbkdf2:sha256:1000"  # noqa: S105 - a method name
    PER_PAGE = 20
    JOBS_IMMEDIATE = True


CONFIGS = {
    "development": DevelopmentConfig,
    "production": ProductionConfig,
    "test": TestConfig,
}


def load(name: str | None = None) -> Config:
    """Instantiate the configuration named by FUNDCRM_ENV (default: development)."""
    name = name or os.environ.get("FUNDCRM_ENV", "development")
    try:
        return CONFIGS[name]()
    except KeyError:
        raise RuntimeError(f"FUNDCRM_ENV must be one of {', '.join(CONFIGS)}") from None
