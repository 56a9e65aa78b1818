"""``import_dataset``: read a retailer's export, clean it, key it and write the five CSVs `load` reads."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import pandas as pd

from clustr_etl.errors import ConfigError, InputFileError
from clustr_etl.importing import presets as p
from clustr_etl.importing.calendar import build_timeframe, preload_holidays
from clustr_etl.importing.cleaning import REASONS, Cleaned, Filters, clean, merge_case_variants
from clustr_etl.importing.codes import keys_with_several, repeated_pairs
from clustr_etl.importing.formats import Formats, describe
from clustr_etl.importing.keys import Tables, build_tables
from clustr_etl.importing.mapping import Mapping, read_mapping
from clustr_etl.importing.parse import canonical_lines
from clustr_etl.importing.recognise import (
    known_layout,
    mapping_toml,
    propose_mapping,
    source_headers,
)
from clustr_etl.importing.reconciliation import import_report, realism_stats
from clustr_etl.importing.sources import read_sources
from clustr_etl.importing.writer import arrow_tables, check_target, write_import
from clustr_etl.progress import NO_PROGRESS, Progress

MAPPING_FILE = "mapping.toml"  # the mapping proposed from the headers, under <data dir>/raw/


@dataclass(frozen=True)
class ImportOptions:
    sources: tuple[Path, ...]
    preset: str | None  # None: recognised by the headers, else a mapping proposed from them
    mapping: Path | None = None
    countries: tuple[str, ...] = ()
    since: dt.date | None = None
    until: dt.date | None = None
    encoding: str | None = None
    formats: Formats = field(default_factory=Formats)


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
    found: dict[str, str] = field(default_factory=dict)  # dialect and formats found in the data


def resolve_preset(options: ImportOptions) -> tuple[p.Preset, Mapping | None]:
    if options.preset is None and options.mapping is None:
        return _recognised(options)
    if options.preset is None:
        options = replace(options, preset=p.LINES.name)
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


def _recognised(options: ImportOptions) -> tuple[p.Preset, Mapping | None]:
    """The known layout of the sources, else a lines mapping proposed from their headers."""
    first = options.sources[0]
    headers = None
    if not first.is_dir():
        headers = source_headers(first, encoding=options.encoding, formats=options.formats)
    preset = known_layout(options.sources, headers)
    if preset is not None:
        return preset, None
    if headers is None:
        raise InputFileError(
            f"{first} is a folder without the Instacart files (orders.csv)",
            "pass the export files, or --preset",
        )
    mapping = Mapping(columns=propose_mapping(first.name, headers))
    return _preset_from_mapping(mapping), mapping


def layout_report(
    options: ImportOptions, preset: p.Preset, mapping: Mapping | None
) -> dict[str, Any]:
    """How the columns were found: the preset given or recognised, or the mapping used."""
    if options.preset is not None or options.mapping is not None:
        how = "given"
    else:
        how = "recognised by its headers" if mapping is None else "proposed from its headers"
    layout: dict[str, Any] = {"preset": preset.name, "how": how}
    if mapping is not None:
        layout["columns"] = dict(mapping.columns)
    return layout


def write_proposed_mapping(
    raw_dir: Path, options: ImportOptions, mapping: Mapping | None, found: dict[str, str]
) -> Path | None:
    """Write the mapping proposed from the headers to raw/mapping.toml (to pin with --mapping)."""
    if mapping is None or options.preset is not None or options.mapping is not None:
        return None
    path = raw_dir / MAPPING_FILE
    path.write_text(mapping_toml(mapping, found), encoding="utf-8")
    return path


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
    formats = options.formats.over(mapping.formats) if mapping else options.formats
    source = read_sources(
        options.sources,
        list(preset.columns.values()),
        preset=preset.name,
        encoding=options.encoding or (mapping.encoding if mapping else None),
        sheets=preset.sheets,
        delimiter=formats.delimiter,
    )
    lines, found = canonical_lines(source, preset.columns, formats)
    return _Read(lines, preset, source.encoding, {}, {**source.found, **found})


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
    report = import_report(
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
    report["detected"] = detected_report(read.found)
    report["layout"] = layout_report(options, preset, mapping)
    if report["layout"]["how"] == "proposed from its headers":
        report["layout"]["mapping_file"] = str(raw_dir / MAPPING_FILE)
    report["realism"] = realism_stats(tables, timeframe)
    with progress.task("write", total=None):
        files = write_import(raw_dir, arrow_tables(tables, timeframe), report, force=force)
        write_proposed_mapping(raw_dir, options, mapping, read.found)
    return ImportResult(report=report, files=files)


def detected_report(found: dict[str, str]) -> dict[str, str]:
    """What was found by looking at the data, and the same in one line (pin it in the mapping)."""
    return {**found, "summary": describe(found)}


def parse_day(text: str | None, option: str) -> dt.date | None:
    if text is None:
        return None
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise ConfigError(f"{option} {text!r} is not a date", "use YYYY-MM-DD") from None
