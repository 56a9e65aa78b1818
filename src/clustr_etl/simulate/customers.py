"""Customers: segments that differ in visit frequency, basket size and discount hunting.

Calibration: in UCI Online Retail the top 20 % of 4,338 customers bring 74.6 % of revenue. Here a
customer's visit rate is its segment's rate times a log-normal personal factor; customer ids follow
the signup date, and a customer never buys before signing up (35 % were customers before the
timeframe starts, the rest sign up during it).
"""

from __future__ import annotations

import functools
import unicodedata
from dataclasses import dataclass
from datetime import date

import numpy as np
import numpy.typing as npt
import pyarrow as pa

from clustr_etl.dataset.csv_writer import epoch_dates, numbers, strings
from clustr_etl.simulate.vocabulary import CITIES, EMAIL_DOMAINS, FIRST_NAMES, LAST_NAMES


@dataclass(frozen=True)
class SegmentSpec:
    name: str
    share: float  # share of customers
    visit_rate: float  # relative visit frequency
    basket_factor: float  # relative basket size
    discount_rate: float  # probability that a line is discounted


SEGMENTS: tuple[SegmentSpec, ...] = (
    SegmentSpec("loyal", 0.12, 5.0, 1.3, 0.07),
    SegmentSpec("regular", 0.38, 1.6, 1.0, 0.08),
    SegmentSpec("occasional", 0.35, 0.45, 0.8, 0.06),
    SegmentSpec("bargain hunter", 0.15, 1.1, 0.9, 0.3),
)
PERSONAL_SIGMA = 0.8
EXISTING_SHARE = 0.35
EXISTING_YEARS = 3


@dataclass(frozen=True)
class Customers:
    """Customers as parallel arrays ordered by signup; customer ``i`` has id ``i + 1``."""

    first_names: list[str]
    last_names: list[str]
    emails: list[str]
    cities: list[str]
    signup: npt.NDArray[np.int64]  # day offset from the start date (negative: before it)
    segment: npt.NDArray[np.int8]  # index into SEGMENTS
    visit_weight: npt.NDArray[np.float64]
    segment_names: tuple[str, ...] = tuple(spec.name for spec in SEGMENTS)

    @property
    def n_customers(self) -> int:
        return len(self.emails)

    def table(self, start: date, first_id: int = 1) -> pa.Table:
        epoch = (start - date(1970, 1, 1)).days
        ids = np.arange(first_id, first_id + self.n_customers, dtype=np.int32)
        return pa.table(
            {
                "customer_id": numbers(ids, np.int32, pa.int32()),
                "first_name": strings(self.first_names),
                "last_name": strings(self.last_names),
                "email": strings(self.emails),
                "city": strings(self.cities),
                "signup_date": epoch_dates(self.signup + epoch),
                "segment": strings([self.segment_names[s] for s in self.segment]),
                "external_id": pa.nulls(self.n_customers, pa.string()),  # import fills it
            }
        )


def existing_customers(n_customers: int) -> int:
    """How many customers signed up before the timeframe starts."""
    return max(1, round(n_customers * EXISTING_SHARE))


def expected_signups(
    n_customers: int, days: int, day_index: npt.NDArray[np.int64]
) -> npt.NDArray[np.float64]:
    """Expected signups on each day index (the density rising linearly, continued past the end)."""
    during = n_customers - existing_customers(n_customers)
    return np.asarray(during * (2 * day_index + 1) / days**2, dtype=np.float64)


def build_customers(n_customers: int, days: int, rng: np.random.Generator) -> Customers:
    existing = existing_customers(n_customers)
    before = rng.integers(-365 * EXISTING_YEARS, 0, size=existing)
    # Later signups grow over the timeframe (density rising linearly).
    during = np.floor(np.sqrt(rng.random(n_customers - existing)) * days).astype(np.int64)
    signup = np.sort(np.concatenate([before, np.minimum(during, days - 1)]))
    return draw_customers(signup, rng, set())


def draw_customers(
    signup: npt.NDArray[np.int64], rng: np.random.Generator, taken_emails: set[str]
) -> Customers:
    """Segment, visit weight, name, city and a free email address for customers with these signups."""
    n_customers = signup.size
    shares = np.array([spec.share for spec in SEGMENTS])
    segment = rng.choice(len(SEGMENTS), size=n_customers, p=shares).astype(np.int8)
    rates = np.array([spec.visit_rate for spec in SEGMENTS])[segment]
    visit_weight = rates * rng.lognormal(-(PERSONAL_SIGMA**2) / 2, PERSONAL_SIGMA, n_customers)
    first = rng.integers(0, len(FIRST_NAMES), size=n_customers)
    last = rng.integers(0, len(LAST_NAMES), size=n_customers)
    populations = np.array([population for _, population in CITIES])
    city = rng.choice(len(CITIES), size=n_customers, p=populations / populations.sum())
    domain = rng.integers(0, len(EMAIL_DOMAINS), size=n_customers)
    first_names = [FIRST_NAMES[i] for i in first.tolist()]
    last_names = [LAST_NAMES[i] for i in last.tolist()]
    return Customers(
        first_names=first_names,
        last_names=last_names,
        emails=unique_emails(first_names, last_names, domain.tolist(), taken_emails),
        cities=[CITIES[i][0] for i in city.tolist()],
        signup=signup,
        segment=segment,
        visit_weight=visit_weight,
    )


@functools.cache  # names come from small vocabularies: fold each once
def _ascii_word(text: str) -> str:
    folded = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    return "".join(ch for ch in folded.lower() if ch.isalnum())


def unique_emails(
    first: list[str], last: list[str], domains: list[int], taken: set[str] | None = None
) -> list[str]:
    """``first.last@domain``; repeated addresses get a number (``first.last2@domain``).

    ``taken`` (addresses already given, e.g. by earlier batches) are skipped too.
    """
    taken = set() if taken is None else taken
    seen: dict[str, int] = {}
    emails: list[str] = []
    for first_name, last_name, domain in zip(first, last, domains, strict=True):
        base = f"{_ascii_word(first_name)}.{_ascii_word(last_name)}@{EMAIL_DOMAINS[domain]}"
        local, host = base.split("@")
        count = seen.get(base, 0) + 1
        address = base if count == 1 else f"{local}{count}@{host}"  # base has no digits
        while address in taken:
            count += 1
            address = f"{local}{count}@{host}"
        seen[base] = count
        taken.add(address)
        emails.append(address)
    return emails
