"""Options of ``clustr-etl generate`` and their validation."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from clustr_etl.errors import ConfigError

# Transactions per internal RNG block. Output bytes depend only on the seed and this constant,
# never on ``chunk_size`` or ``workers`` (a chunk is a run of whole blocks).
BLOCK_SIZE = 4_096
MAX_DAYS = 36_600
MAX_ITEMS_LIMIT = 1_000


@dataclass(frozen=True)
class GenerateOptions:
    """What to generate. Same options (``chunk_size`` and ``workers`` aside) give the same bytes."""

    customers: int = 5_000
    products: int = 1_000
    days: int = 730
    start_date: date = date(2024, 1, 1)
    transactions: int = 100_000
    max_items: int = 30
    mean_items: float = 4.5
    seed: int = 42
    chunk_size: int = 50_000  # transactions per chunk (rounded up to whole RNG blocks)
    workers: int = 1  # worker processes; the output does not depend on it

    @property
    def blocks_per_chunk(self) -> int:
        return max(1, -(-self.chunk_size // BLOCK_SIZE))

    @property
    def basket_cap(self) -> int:
        """Most lines in one basket: --max-items, and never more than there are products."""
        return min(self.max_items, self.products)

    def validate(self) -> None:
        """Raise :class:`ConfigError` naming the first option that is out of range."""
        _at_least("--customers", self.customers, 1)
        _at_least("--products", self.products, 2)
        _at_least("--transactions", self.transactions, 1)
        _at_least("--chunk-size", self.chunk_size, 1)
        _at_least("--workers", self.workers, 1)
        _at_least("--seed", self.seed, 0)
        _at_least("--max-items", self.max_items, 1)
        if self.max_items > MAX_ITEMS_LIMIT:
            raise ConfigError(
                f"--max-items must be <= {MAX_ITEMS_LIMIT}, got {self.max_items}",
                "real baskets rarely exceed a few dozen lines",
            )
        _at_least("--days", self.days, 1)
        if self.days > MAX_DAYS:
            raise ConfigError(f"--days must be <= {MAX_DAYS}, got {self.days}")
        if not isinstance(self.start_date, date):
            raise ConfigError(f"--start-date must be a date (YYYY-MM-DD), got {self.start_date!r}")
        if self.start_date.toordinal() + self.days - 1 > date.max.toordinal() - 366:
            raise ConfigError(
                "--start-date plus --days runs past the year 9998", "pick an earlier range"
            )
        mean = self.mean_items
        if not isinstance(mean, int | float) or not 1.0 <= float(mean) <= self.basket_cap:
            raise ConfigError(
                f"--mean-items must be between 1 and {self.basket_cap} "
                f"(--max-items, at most --products), got {mean!r}",
                "e.g. --mean-items 4.5 --max-items 30",
            )


def _at_least(option: str, value: object, minimum: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise ConfigError(f"{option} must be an integer >= {minimum}, got {value!r}")
