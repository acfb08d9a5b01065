"""One typed settings object for every process, read from the environment (and an optional `.env`).
"""

from __future__ import annotations

import hashlib
import logging
import os
import secrets
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

logger = logging.getLogger(__name__)

PROJECT_ROOT = Path(__file__).resolve().parent.parent
PLACEHOLDER_SECRETS = {"", "changethis"}
# refused outside ENVIRONMENT=local
FIXED_RASA_TOKENS = PLACEHOLDER_SECRETS | {"local-rasa-token", "change-me"}
# in STATE_DIR: the random Rasa token made when RASA_TOKEN is not set
RASA_TOKEN_FILE = "rasa_token"
# Rasa sends ACTIONS_SECRET in it (endpoints.yml); actions check it
ACTION_SECRET_HEADER = "X-SME-Action-Secret"
# in STATE_DIR: the Rasa that `sme-advisor run` switched to (blue-green)
ACTIVE_RASA_FILE = "rasa.url"


class Settings(BaseSettings):
    """Every knob of SME Advisor. Each field is overridable by the environment variable of the same
    name."""

    model_config = SettingsConfigDict(env_file=".env", env_ignore_empty=True, extra="ignore")

    ENVIRONMENT: Literal["local", "production"] = "local"

    # Where things live
    KNOWLEDGE_DIR: Path = PROJECT_ROOT / "knowledge"
    STATE_DIR: Path = PROJECT_ROOT / "var"  # index builds, SQLite files, models, logs (git-ignored)

    # Processes
    HOST: str = "127.0.0.1"
    RASA_PORT: int = 5005
    ACTIONS_PORT: int = 5055
    GATEWAY_PORT: int = 8000
    RASA_URL: str | None = None  # default http://HOST:RASA_PORT
    ACTIONS_URL: str | None = None  # default http://HOST:ACTIONS_PORT
    # protects Rasa's HTTP API; unset: a random one kept in STATE_DIR/rasa_token
    RASA_TOKEN: str | None = None
    # Rasa sends it on every action-server call; unset: derived from RASA_TOKEN
    ACTIONS_SECRET: str | None = None
    RASA_VENV: Path = PROJECT_ROOT / ".venv-rasa"
    RASA_TIMEOUT_S: float = 30.0
    RASA_MODEL_DIR: Path | None = None  # default STATE_DIR/models
    # `sme-advisor run --replicas N`: your own servers (default: a throwaway PostgreSQL and Redis on
    # this machine) postgresql://USER:PASSWORD@HOST:PORT/DB (the database must exist)
    POSTGRES_URL: str | None = None
    REDIS_URL: str | None = None  # redis://[:PASSWORD@]HOST:PORT/DB

    # Knowledge search
    # a sentence-transformers model name or a local folder
    EMBEDDING_MODEL: str = "all-MiniLM-L6-v2"
    # A question is answerable when its closest passage has at least this cosine similarity.
    # Calibrated on tests/eval/questions.yaml: `sme-advisor eval` prints the best-separating value.
    ANSWERABLE_THRESHOLD: float = 0.31
    INDEX_KEEP_BUILDS: int = 3

    # Chat API limits
    MAX_MESSAGE_CHARS: int = 2000
    RATE_LIMIT_PER_MINUTE: int = 30  # per sender, for /api/chat and (separately) /api/feedback
    # /api/feedback per client address (senders are chosen by clients)
    FEEDBACK_PER_IP_PER_MINUTE: int = 300
    CORS_ORIGINS: list[str] = Field(default_factory=list)  # sites allowed to embed the widget
    # signs the widget's session ids (bot/sessions.py); default: from ADMIN_TOKEN
    SESSION_SECRET: str | None = None

    # Staff
    ADMIN_TOKEN: str = "changethis"

    # Telegram
    TELEGRAM_TOKEN: str | None = None
    # Checked on every webhook call. Default: derived from the bot token, so every process agrees on
    # it.
    TELEGRAM_SECRET_TOKEN: str | None = None
    TELEGRAM_WEBHOOK_URL: str | None = None  # public https URL of POST /telegram/webhook
    TELEGRAM_API_BASE: str = "https://api.telegram.org/bot"

    @property
    def rasa_url(self) -> str:
        """RASA_URL if set; else the Rasa a blue-green switch moved to (read on every use); else
        HOST:RASA_PORT."""
        if self.RASA_URL:
            return self.RASA_URL
        try:
            return (self.STATE_DIR / ACTIVE_RASA_FILE).read_text(encoding="utf-8").strip() or self.first_rasa_url
        except OSError:
            return self.first_rasa_url

    @property
    def first_rasa_url(self) -> str:
        return f"http://{self.HOST}:{self.RASA_PORT}"

    @property
    def actions_url(self) -> str:
        return self.ACTIONS_URL or f"http://{self.HOST}:{self.ACTIONS_PORT}"

    @property
    def index_dir(self) -> Path:
        return self.STATE_DIR / "index"

    @property
    def models_dir(self) -> Path:
        return self.RASA_MODEL_DIR or self.STATE_DIR / "models"

    @property
    def db_path(self) -> Path:
        """SQLite file for what the project itself stores (unanswered questions, feedback)."""
        return self.STATE_DIR / "sme_advisor.db"

    @property
    def tracker_db_path(self) -> Path:
        """SQLite file of Rasa's SQL tracker store."""
        return self.STATE_DIR / "rasa_tracker.db"

    @model_validator(mode="after")
    def _refuse_placeholder_secrets(self) -> Settings:
        if self.ADMIN_TOKEN in PLACEHOLDER_SECRETS:
            if self.ENVIRONMENT != "local":
                raise ValueError("ADMIN_TOKEN must be set to a real secret outside ENVIRONMENT=local")
            logger.debug("ADMIN_TOKEN is the local placeholder 'changethis'")
        if self.RASA_TOKEN is None:
            self.RASA_TOKEN = state_secret(self.STATE_DIR / RASA_TOKEN_FILE)
        elif self.RASA_TOKEN in FIXED_RASA_TOKENS and self.ENVIRONMENT != "local":
            raise ValueError("RASA_TOKEN is a well-known default: set a real secret, or leave it unset for a random "
                             "one kept in STATE_DIR, outside ENVIRONMENT=local")
        if not self.ACTIONS_SECRET:
            self.ACTIONS_SECRET = hashlib.sha256(f"actions:{self.RASA_TOKEN}".encode()).hexdigest()[:48]
        if self.TELEGRAM_TOKEN and not self.TELEGRAM_SECRET_TOKEN:
            self.TELEGRAM_SECRET_TOKEN = hashlib.sha256(f"webhook:{self.TELEGRAM_TOKEN}".encode()).hexdigest()[:48]
        return self


def state_secret(path: Path) -> str:
    """The random secret kept in `path` (owner-only), made on first use; every process of one
    STATE_DIR reads the same one (a race to make it is settled by a hard link, which fails if it
    exists)."""
    try:
        return path.read_text(encoding="utf-8").strip()
    except FileNotFoundError:
        pass
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        # never a leading '-': command lines pass the token as an argument (`rasa run --auth-token
        # T`), and argparse reads "-7N..." as an option (rasa then exits: "expected one argument")
        f.write("t" + secrets.token_urlsafe(32))
    try:
        os.link(tmp, path)
    except FileExistsError:
        pass
    finally:
        tmp.unlink()
    return path.read_text(encoding="utf-8").strip()


@lru_cache
def get_settings() -> Settings:
    """The process-wide settings (cached; tests build their own `Settings(...)`)."""
    return Settings()
