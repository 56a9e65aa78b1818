"""Typed settings: CLI option > CLUSTR_* environment variable > .env file > default."""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path
from typing import Any, Literal

from pydantic import Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from clustr_etl.errors import ConfigError

ENV_PREFIX = "CLUSTR_"


class Settings(BaseSettings):
    """Every setting can be given as ``CLUSTR_<NAME>`` or in ``.env``; CLI options override both."""

    model_config = SettingsConfigDict(
        env_prefix=ENV_PREFIX, env_file=".env", env_file_encoding="utf-8", extra="ignore"
    )

    database_url: SecretStr | None = Field(
        default=None, description="SQLAlchemy URL; default: SQLite file <data dir>/clustr.db"
    )
    data_dir: Path = Field(default=Path("data"), description="CSVs go to <data dir>/raw/")
    lock_timeout: float = Field(
        default=60.0, ge=0.0, le=86_400.0, description="seconds to wait for another writer"
    )

    # Generation
    seed: int = Field(default=42, ge=0, description="random seed (same seed, same bytes)")
    customers: int = Field(default=5_000, ge=1, description="number of customers")
    products: int = Field(default=1_000, ge=10, description="number of products")
    days: int = Field(default=730, ge=1, le=36_600, description="days in the timeframe")
    start_date: dt.date = Field(default=dt.date(2024, 1, 1), description="first day")
    transactions: int = Field(default=100_000, ge=1, description="number of transactions")
    max_items: int = Field(default=30, ge=1, le=1_000, description="most lines in one basket")
    mean_items: float = Field(default=4.5, gt=1.0, le=100.0, description="mean lines per basket")
    chunk_size: int = Field(default=50_000, ge=1_000, description="transactions per chunk")
    workers: int = Field(
        default_factory=lambda: min(os.cpu_count() or 1, 4),
        ge=1,
        le=64,
        description="generator worker processes (used from about 1M transactions)",
    )

    # Rule mining
    min_support: float = Field(default=0.001, gt=0.0, le=1.0, description="min rule support")
    min_confidence: float = Field(default=0.1, gt=0.0, le=1.0, description="min confidence")
    min_lift: float = Field(default=1.0, ge=0.0, description="keep rules with lift above this")
    min_len: int = Field(default=2, ge=1, le=100, description="min items in a rule")
    max_len: int = Field(default=10, ge=1, le=100, description="max items in a rule")
    # Rule quality (defaults justified in README "Mining bundles")
    min_count: int = Field(default=10, ge=1, description="min baskets of a rule (with min support)")
    max_consequent_len: int = Field(
        default=1, ge=1, le=100, description="max items in a consequent"
    )
    max_p: float = Field(default=0.001, gt=0.0, le=1.0, description="max adjusted p-value; 1 = off")
    p_adjust: Literal["holm", "fdr", "none"] = Field(default="holm", description="p adjustment")
    prune_redundant: bool = Field(default=False, description="drop arules-redundant rules")
    include_non_merchandise: bool = Field(
        default=False, description="let rules contain non-merchandise products"
    )

    @field_validator("data_dir")
    @classmethod
    def _expand(cls, value: Path) -> Path:
        return value.expanduser()

    @property
    def raw_dir(self) -> Path:
        return self.data_dir / "raw"

    @property
    def rules_path(self) -> Path:
        return self.data_dir / "baseline_rules.csv"

    @property
    def database_url_value(self) -> str:
        """The URL to connect with (secret); never print it, print ``mask_url`` of it."""
        if self.database_url is not None and self.database_url.get_secret_value().strip():
            return self.database_url.get_secret_value().strip()
        return f"sqlite:///{self.data_dir / 'clustr.db'}"


def option_name(field: str) -> str:
    return "--" + field.replace("_", "-")


def env_name(field: str) -> str:
    return ENV_PREFIX + field.upper()


def load_settings(**overrides: Any) -> Settings:
    """Build settings; ``None`` overrides mean "not given on the command line"."""
    given = {key: value for key, value in overrides.items() if value is not None}
    try:
        settings = Settings(**given)
    except ValidationError as err:
        first = err.errors()[0]
        field = str(first["loc"][0]) if first["loc"] else "settings"
        shown = "<hidden>" if field == "database_url" else repr(first.get("input"))
        raise ConfigError(
            f"invalid setting {option_name(field)} / {env_name(field)}: {first['msg']} (got {shown})",
            f"fix the option or the {env_name(field)} environment variable / .env entry",
        ) from None
    if settings.min_len > settings.max_len:
        raise ConfigError(
            f"--min-len ({settings.min_len}) is greater than --max-len ({settings.max_len})",
            "choose --min-len <= --max-len",
        )
    return settings
