"""Typed settings: CLI option > CLUSTR_* environment variable > .env file > default.

One model, validated once: :class:`Settings` holds the groups ``database``, ``generation`` (which *is* the
generator's ``GenerateOptions``) and ``mining`` (which *is* the miner's ``RuleThresholds``). Their defaults,
limits and help come from :mod:`clustr_etl.config.specs`. Environment variables keep their flat names
(``CLUSTR_SEED``, ``CLUSTR_MIN_SUPPORT``): :class:`FlatEnvSource` puts each into its group.
"""

from __future__ import annotations

import datetime as dt
import functools
import os
from collections.abc import Callable, Mapping
from decimal import Decimal
from fractions import Fraction
from pathlib import Path
from typing import Any, Literal, TypeVar

from pydantic import ConfigDict, Field, SecretStr, ValidationError, field_validator, model_validator
from pydantic.dataclasses import dataclass
from pydantic.fields import FieldInfo
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict

from clustr_etl.config import specs as spec
from clustr_etl.errors import ConfigError

ENV_PREFIX = spec.ENV_PREFIX
BLOCK_SIZE = 4_096  # transactions per generator RNG block: a chunk is a run of whole blocks
_CONFIG = ConfigDict(extra="forbid")

T = TypeVar("T")


def _raising_config_errors(cls: type[T]) -> type[T]:
    """Make direct construction (``GenerateOptions(products=1)``) raise ConfigError, not ValidationError."""
    init: Callable[..., None] = cls.__init__

    @functools.wraps(init)
    def __init__(self: Any, *args: Any, **kwargs: Any) -> None:
        try:
            init(self, *args, **kwargs)
        except ValidationError as err:
            raise config_error(err) from None

    setattr(cls, "__init__", __init__)  # noqa: B010 (mypy forbids assigning a method)
    return cls


def _reject_bool(value: Any) -> Any:
    if isinstance(value, bool):
        raise ValueError("must be a number, not a boolean")
    return value


@_raising_config_errors
@dataclass(frozen=True, config=_CONFIG)
class DatabaseSettings:
    """Where the data lives and how long to wait for another writer."""

    database_url: SecretStr | None = spec.DATABASE_URL.field()
    data_dir: Path = spec.DATA_DIR.field(validate_default=True)
    lock_timeout: float = spec.LOCK_TIMEOUT.field()

    @field_validator("data_dir")
    @classmethod
    def _data_dir_is_a_folder(cls, value: Path) -> Path:
        value = value.expanduser()
        if value.exists() and not value.is_dir():
            raise ValueError(f"{value} is a file, not a folder; pass a folder")
        return value


def _default_workers() -> int:
    return min(os.cpu_count() or 1, 4)


@_raising_config_errors
@dataclass(frozen=True, config=_CONFIG)
class GenerationSettings:
    """What to generate. Same options (``chunk_size`` and ``workers`` aside) give the same bytes."""

    seed: int = spec.SEED.field()
    customers: int = spec.CUSTOMERS.field()
    products: int = spec.PRODUCTS.field()
    days: int = spec.DAYS.field()
    start_date: dt.date = spec.START_DATE.field()
    transactions: int = spec.TRANSACTIONS.field()
    max_items: int = spec.MAX_ITEMS.field()
    mean_items: float = spec.MEAN_ITEMS.field()
    chunk_size: int = spec.CHUNK_SIZE.field()
    workers: int = spec.WORKERS.field(default_factory=_default_workers)

    _no_bools = field_validator("*", mode="before")(_reject_bool)

    @property
    def blocks_per_chunk(self) -> int:
        return max(1, -(-self.chunk_size // BLOCK_SIZE))

    @property
    def basket_cap(self) -> int:
        """Most lines in one basket: --max-items, and never more than there are products."""
        return min(self.max_items, self.products)

    @model_validator(mode="after")
    def _consistent(self) -> GenerationSettings:
        if self.start_date.toordinal() + self.days - 1 > dt.date.max.toordinal() - 366:
            raise ConfigError(
                "--start-date plus --days runs past the year 9998", "pick an earlier range"
            )
        if not self.mean_items <= self.basket_cap:
            raise ConfigError(
                f"--mean-items must be between 1 and {self.basket_cap} "
                f"(--max-items, at most --products), got {self.mean_items!r}",
                "e.g. --mean-items 4.5 --max-items 30",
            )
        return self


def exact_fraction(value: float) -> Fraction:
    """The decimal number a user typed: the shortest repr of the float, as an exact fraction."""
    return Fraction(Decimal(repr(float(value))))


@_raising_config_errors
@dataclass(frozen=True, config=_CONFIG)
class MiningSettings:
    """Minimum support, confidence and lift, the itemset size range (items in A+C), and rule
    quality: the basket floor, consequent size, significance test, redundancy, merchandise only."""

    min_support: float | None = spec.MIN_SUPPORT.field()
    min_confidence: float = spec.MIN_CONFIDENCE.field()
    min_lift: float = spec.MIN_LIFT.field(allow_inf_nan=False)
    min_len: int = spec.MIN_LEN.field()
    max_len: int = spec.MAX_LEN.field()
    min_count: int = spec.MIN_COUNT.field()
    max_consequent_len: int = spec.MAX_CONSEQUENT_LEN.field()
    max_p: float = spec.MAX_P.field(allow_inf_nan=False)
    p_adjust: Literal["holm", "fdr", "none"] = spec.P_ADJUST.field()
    prune_redundant: bool = spec.PRUNE_REDUNDANT.field()
    include_non_merchandise: bool = spec.INCLUDE_NON_MERCHANDISE.field()
    max_rules: int = spec.MAX_RULES.field()
    max_basket_size: int = spec.MAX_BASKET_SIZE.field()
    top_k: int = spec.TOP_K.field()
    top_k_by: Literal["lift", "confidence", "support"] = spec.TOP_K_BY.field()
    consequent: str | None = spec.CONSEQUENT.field()
    item: str | None = spec.ITEM.field()

    _no_bools = field_validator(
        "min_support",
        "max_rules",
        "max_basket_size",
        "top_k",
        "min_confidence",
        "min_lift",
        "min_len",
        "max_len",
        "min_count",
        "max_consequent_len",
        "max_p",
        mode="before",
    )(_reject_bool)

    @model_validator(mode="after")
    def _consistent(self) -> MiningSettings:
        if self.min_len > self.max_len:
            raise ConfigError(
                f"--min-len ({self.min_len}) is greater than --max-len ({self.max_len})",
                "choose --min-len <= --max-len (both count the items of a whole rule)",
            )
        return self

    @property
    def support(self) -> float:
        """The support floor: --min-support, or the default when it is not set."""
        return spec.DEFAULT_MIN_SUPPORT if self.min_support is None else self.min_support

    @property
    def support_is_automatic(self) -> bool:
        """No support was set: the miner may raise the default to fit --max-rules."""
        return self.min_support is None

    def support_count(self, n_transactions: int) -> int:
        """Smallest itemset count with support >= the support floor (exact, at least 1)."""
        fraction = exact_fraction(self.support)
        return max(1, -((-fraction.numerator * n_transactions) // fraction.denominator))

    def count_threshold(self, n_transactions: int) -> int:
        """The count a rule's itemset needs: the stricter of min_support and min_count."""
        return max(self.support_count(n_transactions), int(self.min_count))

    @property
    def tests_significance(self) -> bool:
        return float(self.max_p) < 1.0


class FlatEnvSource(PydanticBaseSettingsSource):
    """Reads ``CLUSTR_<NAME>`` (flat, as documented) from a mapping into the setting's group."""

    def __init__(self, settings_cls: type[BaseSettings], variables: Mapping[str, str | None]):
        super().__init__(settings_cls)
        self.variables = {key.upper(): value for key, value in variables.items()}

    def get_field_value(self, field: FieldInfo, field_name: str) -> tuple[Any, str, bool]:
        return None, field_name, False  # unused: __call__ reads every variable itself

    def __call__(self) -> dict[str, Any]:
        groups: dict[str, dict[str, Any]] = {}
        for name, option in spec.SPECS.items():
            value = self.variables.get(option.env)
            if value is not None:
                groups.setdefault(spec.GROUP_OF[name], {})[name] = value
        return dict(groups)


def _dotenv_variables() -> Mapping[str, str | None]:
    path = Path(".env")
    if not path.is_file():
        return {}
    from dotenv import dotenv_values

    return dotenv_values(path, encoding="utf-8")


class Settings(BaseSettings):
    """All settings, in groups; every one can be given as ``CLUSTR_<NAME>`` or in ``.env``."""

    model_config = SettingsConfigDict(extra="forbid", frozen=True)

    database: DatabaseSettings = Field(default_factory=DatabaseSettings)
    generation: GenerationSettings = Field(default_factory=GenerationSettings)
    mining: MiningSettings = Field(default_factory=MiningSettings)

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        return (
            init_settings,
            FlatEnvSource(settings_cls, dict(os.environ)),
            FlatEnvSource(settings_cls, _dotenv_variables()),
        )

    @property
    def data_dir(self) -> Path:
        return self.database.data_dir

    @property
    def lock_timeout(self) -> float:
        return self.database.lock_timeout

    @property
    def raw_dir(self) -> Path:
        return self.data_dir / "raw"

    @property
    def rules_path(self) -> Path:
        return self.data_dir / "baseline_rules.csv"

    @property
    def database_url_value(self) -> str:
        """The URL to connect with (secret); never print it, print ``mask_url`` of it."""
        url = self.database.database_url
        if url is not None and url.get_secret_value().strip():
            return url.get_secret_value().strip()
        return f"sqlite:///{self.data_dir / 'clustr.db'}"

    def parameters(self) -> dict[str, Any]:
        """Every setting but the database URL, flat and JSON-ready (what the run ledger records)."""
        dumped = self.model_dump(mode="json", exclude={"database": {"database_url"}})
        return {name: value for group in dumped.values() for name, value in group.items()}


def option_name(field: str) -> str:
    return "--" + field.replace("_", "-")


def env_name(field: str) -> str:
    return ENV_PREFIX + field.upper()


def config_error(err: ValidationError) -> ConfigError:
    """One line naming the option and the environment variable of the first invalid value."""
    first = err.errors()[0]
    names = [str(part) for part in first["loc"] if str(part) in spec.SPECS]
    field = names[-1] if names else "settings"
    given = first.get("input")
    shown = repr(str(given) if isinstance(given, Path) else given)
    shown = "<hidden>" if field == "database_url" else shown
    message = first["msg"].removeprefix("Value error, ")
    return ConfigError(
        f"invalid setting {option_name(field)} / {env_name(field)}: {message} (got {shown})",
        f"fix the option or the {env_name(field)} environment variable / .env entry",
    )


def load_settings(**overrides: Any) -> Settings:
    """Build settings from flat option names; ``None`` means "not given on the command line".

    A name that is not a setting raises TypeError: an option can never be silently dropped.
    """
    unknown = sorted(set(overrides) - set(spec.SPECS))
    if unknown:
        raise TypeError(f"not a setting: {', '.join(unknown)} (see clustr_etl.config.specs)")
    groups: dict[str, Any] = {}
    for name, value in overrides.items():
        if value is not None:
            groups.setdefault(spec.GROUP_OF[name], {})[name] = value
    try:
        return Settings(**groups)
    except ValidationError as err:
        raise config_error(err) from None
