"""Every setting's default, limits and help, written once.

The pydantic settings model (:mod:`clustr_etl.config.settings`) builds its fields from these specs and the CLI builds
its options from them, so a limit or a help text exists in one place. Standard library only: rendering
``clustr-etl --help`` must not import pydantic.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from typing import Any

ENV_PREFIX = "CLUSTR_"


class InputFormat(StrEnum):
    """What a file given to ``mine-rules --input`` holds."""

    sales = "sales"  # CSV with transaction_id,product_id
    basket = "basket"  # one comma-separated basket per line


class MinerEngine(StrEnum):
    fast = "fast"
    mlxtend = "mlxtend"
    spark = "spark"


class OutputFormat(StrEnum):
    csv = "csv"
    parquet = "parquet"


class GeneratorEngine(StrEnum):
    local = "local"
    spark = "spark"


@dataclass(frozen=True)
class OptionSpec:
    """One setting: its field name (``min_support``), help text, default and numeric limits."""

    name: str
    help: str
    default: Any = None
    default_text: str | None = None  # shown instead of ``default`` (computed or derived defaults)
    ge: float | None = None
    gt: float | None = None
    le: float | None = None

    @property
    def flag(self) -> str:
        return "--" + self.name.replace("_", "-")

    @property
    def env(self) -> str:
        return ENV_PREFIX + self.name.upper()

    @property
    def limits(self) -> str:
        """The allowed range as text, e.g. ``0 < x <= 1`` (empty when unbounded)."""
        low = f"{_number(self.gt)} < " if self.gt is not None else ""
        low = f"{_number(self.ge)} <= " if self.ge is not None else low
        high = f" <= {_number(self.le)}" if self.le is not None else ""
        return f"{low}x{high}" if low or high else ""

    def help_text(self) -> str:
        """The CLI help: what it is, then range, environment variable and default."""
        default = self.default_text if self.default_text is not None else self.default
        facts = [self.limits, f"env {self.env}", f"default {default}"]
        return f"{self.help} [{'; '.join(fact for fact in facts if fact)}]"

    def field(self, **extra: Any) -> Any:
        """A pydantic ``Field`` with this default, these limits and this description."""
        from pydantic import Field

        limits = {
            key: getattr(self, key) for key in ("ge", "gt", "le") if getattr(self, key) is not None
        }
        if "default_factory" not in extra:
            extra["default"] = self.default
        return Field(description=self.help, **limits, **extra)


def _number(value: float | None) -> str:
    return f"{value:g}" if isinstance(value, float) else str(value)


# The database
DATABASE_URL = OptionSpec(
    "database_url",
    "SQLAlchemy URL",
    default_text="sqlite:///<data dir>/clustr.db",
)
DATA_DIR = OptionSpec(
    "data_dir",
    "data folder: CSVs in <data dir>/raw/, rules in <data dir>/baseline_rules.csv",
    "data",
)
LOCK_TIMEOUT = OptionSpec(
    "lock_timeout",
    "seconds to wait while another command writes to the database, or while other sessions "
    "hold the tables a load switches in",
    60.0,
    ge=0.0,
    le=86_400.0,
)

# Generation
SEED = OptionSpec("seed", "random seed (same seed and options, same bytes)", 42, ge=0)
CUSTOMERS = OptionSpec("customers", "customers", 5_000, ge=1)
PRODUCTS = OptionSpec("products", "products", 1_000, ge=2)
DAYS = OptionSpec("days", "days in the calendar", 730, ge=1, le=36_600)
START_DATE = OptionSpec("start_date", "first day, YYYY-MM-DD", date(2024, 1, 1))
TRANSACTIONS = OptionSpec("transactions", "transactions (baskets)", 100_000, ge=1)
MAX_ITEMS = OptionSpec("max_items", "most lines in one basket", 30, ge=1, le=1_000)
MEAN_ITEMS = OptionSpec(
    "mean_items", "mean lines per basket, at most --max-items and --products", 4.5, ge=1.0
)
CHUNK_SIZE = OptionSpec(
    "chunk_size", "transactions per chunk (output does not depend on it)", 50_000, ge=1
)
WORKERS = OptionSpec(
    "workers",
    "generator worker processes, used from about 4M sale lines (1M transactions)",
    default_text="CPU cores, at most 4",
    ge=1,
    le=64,
)

# Rule mining
DEFAULT_MIN_SUPPORT = 0.001  # used when --min-support is not set, raised to fit --max-rules
MIN_SUPPORT = OptionSpec(
    "min_support",
    "min rule support; when not set, 0.001 raised as far as needed to fit --max-rules",
    None,
    default_text=f"{DEFAULT_MIN_SUPPORT} (raised to fit --max-rules)",
    gt=0.0,
    le=1.0,
)
MIN_CONFIDENCE = OptionSpec("min_confidence", "min rule confidence", 0.1, gt=0.0, le=1.0)
MIN_LIFT = OptionSpec("min_lift", "keep rules with lift above this; 0 keeps all", 1.0, ge=0.0)
MAX_ITEMSET_SIZE = 64  # the miner's limit on items in one rule
MIN_LEN = OptionSpec("min_len", "min items per rule", 2, ge=1, le=MAX_ITEMSET_SIZE)
MAX_LEN = OptionSpec("max_len", "max items per rule", 10, ge=1, le=MAX_ITEMSET_SIZE)
# Rule quality (issue 12; the defaults are justified in README "Why these defaults")
MIN_COUNT = OptionSpec(
    "min_count", "min baskets of a rule; the stricter of it and --min-support wins", 10, ge=1
)
MAX_CONSEQUENT_LEN = OptionSpec(
    "max_consequent_len",
    "max items in a consequent; more gives every split, as mlxtend",
    1,
    ge=1,
    le=MAX_ITEMSET_SIZE,
)
MAX_P = OptionSpec(
    "max_p",
    "keep rules whose adjusted Fisher p-value is below this; 1 = no test",
    0.001,
    gt=0.0,
    le=1.0,
)
P_ADJUST = OptionSpec(
    "p_adjust", "p-value adjustment over all rules tested: holm, fdr, none", "holm"
)
PRUNE_REDUNDANT = OptionSpec(
    "prune_redundant", "drop rules a more general rule is at least as confident as", False
)
INCLUDE_NON_MERCHANDISE = OptionSpec(
    "include_non_merchandise", "let rules contain non-merchandise products", False
)
# Mining budget and filters (issue 24)
MAX_RULES = OptionSpec(
    "max_rules",
    "stop (exit 3, nothing written) when mining would build more candidate rules than this; "
    "0 = no limit",
    2_000_000,
    ge=0,
)
MAX_BASKET_SIZE = OptionSpec(
    "max_basket_size",
    "leave out (and count) baskets with more items than this, e.g. wholesale orders; 0 = keep all",
    0,
    ge=0,
)
TOP_K_MEASURES = ("lift", "confidence", "support")
TOP_K = OptionSpec(
    "top_k",
    "mine only the K best rules by --top-k-by, without building all of them; 0 = all rules",
    0,
    ge=0,
)
TOP_K_BY = OptionSpec(
    "top_k_by",
    "what --top-k ranks by: lift, confidence or support",
    "lift",
)
CONSEQUENT = OptionSpec("consequent", "keep only rules whose consequent is this item", None)
ITEM = OptionSpec("item", "keep only rules containing this item (either side)", None)

DATABASE_SPECS = (DATABASE_URL, DATA_DIR, LOCK_TIMEOUT)
GENERATION_SPECS = (
    SEED,
    CUSTOMERS,
    PRODUCTS,
    DAYS,
    START_DATE,
    TRANSACTIONS,
    MAX_ITEMS,
    MEAN_ITEMS,
    CHUNK_SIZE,
    WORKERS,
)
MINING_SPECS = (
    MIN_SUPPORT,
    MIN_CONFIDENCE,
    MIN_LIFT,
    MIN_LEN,
    MAX_LEN,
    MIN_COUNT,
    MAX_CONSEQUENT_LEN,
    MAX_P,
    P_ADJUST,
    PRUNE_REDUNDANT,
    INCLUDE_NON_MERCHANDISE,
    MAX_RULES,
    MAX_BASKET_SIZE,
    TOP_K,
    TOP_K_BY,
    CONSEQUENT,
    ITEM,
)

# Settings group (field of ``Settings``) -> its specs.
GROUPS: dict[str, tuple[OptionSpec, ...]] = {
    "database": DATABASE_SPECS,
    "generation": GENERATION_SPECS,
    "mining": MINING_SPECS,
}
SPECS: dict[str, OptionSpec] = {spec.name: spec for specs in GROUPS.values() for spec in specs}
GROUP_OF: dict[str, str] = {spec.name: group for group, specs in GROUPS.items() for spec in specs}
