"""``import_dataset``: read a retailer's export, clean it, key it and write the five CSVs `load` reads."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from clustr_etl.errors import ConfigError
from clustr_etl.importing import presets as p
from clustr_etl.importing.calendar import build_timeframe, preload_holidays
from clustr_etl.importing.cleaning import REASONS, Cleaned, Filters, clean, merge_case_variants
from clustr_etl.importing.codes import keys_with_several, repeated_pairs
from clustr_etl.importing.keys import Tables, build_tables
from clustr_etl.importing.mapping import Mapping, read_mapping
from clustr_etl.importing.parse import canonical_lines
from clustr_etl.importing.report import build_report, realism_stats
from clustr_etl.importing.sources import read_sources
from clustr_etl.importing.writer import arrow_tables, check_target, write_import
from clustr_etl.progress import NO_PROGRESS, Progress


@dataclass(frozen=True)
class ImportOptions:
    sources: tuple[Path, ...]
    preset: str
    mapping: Path | None = None
    countries: tuple[str, ...] = ()
    since: dt.date | None = None
    until: dt.date | None = None
    encoding: str | None = None


@dataclass
class ImportResult:
    report: dict[str, Any]
    files: dict[str, int]


@dataclass
class _Read:
    lines: pd.DataFrame
    preset: p.Preset
    encoding: str | None
    notes: dict[str, Any]


def resolve_preset(options: ImportOptions) -> tuple[p.Preset, Mapping | None]:
    if options.preset not in p.PRESETS:
        raise ConfigError(
            f"unknown preset {options.preset!r}", f"choose one of {', '.join(p.PRESETS)}"
        )
    if options.since and options.until and options.since > options.until:
        raise ConfigError(f"--since {options.since} is after --until {options.until}")
    preset = p.PRESETS[options.preset]
    if preset is p.LINES:
        if options.mapping is None:
            raise ConfigError("the lines preset needs --mapping FILE (a TOML column mapping)")
        mapping = read_mapping(options.mapping)
        return _preset_from_mapping(mapping), mapping
    if options.mapping is not None:
        raise ConfigError(
            f"--mapping is only for --preset lines (the {preset.name} preset knows its columns)"
        )
    return preset, None


def _preset_from_mapping(mapping: Mapping) -> p.Preset:
    return p.Preset(
        name="lines",
        description=p.LINES.description,
        columns=mapping.columns,
        encodings=(mapping.encoding,) if mapping.encoding else p.LINES.encodings,
        sheets=(mapping.sheet,) if mapping.sheet else (),
        credit_note_prefix=mapping.credit_note_prefix,
        non_merchandise=mapping.non_merchandise,
    )


def read_lines(options: ImportOptions, preset: p.Preset, mapping: Mapping | None) -> _Read:
    if preset is p.INSTACART:
        from clustr_etl.importing.instacart import read_instacart

        lines, notes = read_instacart(options.sources)
        return _Read(lines, preset, "utf-8", notes)
    encodings = (options.encoding,) if options.encoding else preset.encodings
    source = read_sources(
        options.sources,
        list(preset.columns.values()),
        preset=preset.name,
        encodings=encodings,
        sheets=preset.sheets,
        delimiter=mapping.delimiter if mapping else ",",
    )
    date_format = mapping.date_format if mapping else None
    lines = canonical_lines(source, preset.columns, date_format=date_format)
    return _Read(lines, preset, source.encoding, {})


def _canonical_products(cleaned: Cleaned, source_lines: pd.DataFrame) -> dict[str, int]:
    """Merge case-only key variants; count the keys' quirks (on every source line)."""
    lines = cleaned.lines
    lines[p.PRODUCT], merged = merge_case_variants(lines[p.PRODUCT])
    return {
        "product_keys_differing_only_in_case_merged": merged,
        "product_keys_with_several_descriptions": keys_with_several(
            source_lines[p.PRODUCT], source_lines[p.PRODUCT_NAME]
        ),
        "lines_repeating_a_product_of_their_invoice": repeated_pairs(
            lines[p.INVOICE], lines[p.PRODUCT]
        ),
    }


def main_country(lines: pd.DataFrame) -> str | None:
    if p.COUNTRY not in lines or lines[p.COUNTRY].isna().all():
        return None
    counts = lines[p.COUNTRY].value_counts()
    return str(counts.index[0])


def import_dataset(
    options: ImportOptions, raw_dir: Path, *, force: bool = False, progress: Progress = NO_PROGRESS
) -> ImportResult:
    """Import ``options.sources`` into ``raw_dir``; return the report written to import_report.json."""
    preset, mapping = resolve_preset(options)
    check_target(raw_dir, force)
    preload_holidays()
    with progress.task("read", total=None):
        read = read_lines(options, preset, mapping)
    with progress.task("clean and key", total=None):
        filters = Filters(options.countries, options.since, options.until)
        cleaned = clean(read.lines, filters, preset.credit_note_prefix)
        quirks = _canonical_products(cleaned, read.lines)
        tables: Tables = build_tables(cleaned.lines, preset.is_non_merchandise)
        country = main_country(cleaned.lines)
        timeframe, holiday_code = build_timeframe(tables.transactions["date"], country)
    report = build_report(
        options=options,
        preset=preset,
        encoding=read.encoding,
        cleaned=cleaned,
        tables=tables,
        timeframe=timeframe,
        calendar={"main_country": country, "holiday_country": holiday_code},
        notes={**quirks, **read.notes},
        reasons={reason: REASONS[reason] for reason in cleaned.dropped},
    )
    report["realism"] = realism_stats(tables, timeframe)
    with progress.task("write", total=None):
        files = write_import(raw_dir, arrow_tables(tables, timeframe), report, force=force)
    return ImportResult(report=report, files=files)


def parse_day(text: str | None, option: str) -> dt.date | None:
    if text is None:
        return None
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise ConfigError(f"{option} {text!r} is not a date", "use YYYY-MM-DD") from None
