"""What every command shares: options built from the setting specs, and the app's state (verbose, quiet)."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from clustr_etl.config import specs as spec
from clustr_etl.config.specs import GeneratorEngine, InputFormat, MinerEngine, OutputFormat
from clustr_etl.progress import NO_PROGRESS, Progress

if TYPE_CHECKING:
    from clustr_etl.config.settings import Settings
    from clustr_etl.run.context import StepResult
    from clustr_etl.store.backends import OnWait


__all__ = [
    "GeneratorEngine",
    "InputFormat",
    "MinerEngine",
    "OutputFormat",
]  # choices of the options


@dataclass
class AppState:
    verbose: bool = False
    quiet: bool = False


def setting(option: spec.OptionSpec) -> Any:
    """The CLI option of a setting: flag, help, range, env variable and default all from its spec.

    The value is validated once, by the settings model (one line naming option and env variable)."""
    flag = option.flag
    if isinstance(option.default, bool):  # an on/off switch: --prune-redundant/--no-prune-redundant
        flag = f"{flag}/--no-{flag.removeprefix('--')}"
    return typer.Option(flag, help=literal_brackets(option.help_text()), show_default=False)


def literal_brackets(text: str) -> str:
    """Help text as Rich shows it: a bracket followed by a letter ("[env CLUSTR_P_ADJUST; default holm]")
    would be read as a markup tag and dropped, so it is escaped."""
    return re.sub(r"\[(?=[A-Za-z#/@])", r"\\[", text)


DatabaseUrl = Annotated[str | None, setting(spec.DATABASE_URL)]
DataDir = Annotated[Path | None, setting(spec.DATA_DIR)]
LockTimeout = Annotated[float | None, setting(spec.LOCK_TIMEOUT)]
Seed = Annotated[int | None, setting(spec.SEED)]
Customers = Annotated[int | None, setting(spec.CUSTOMERS)]
Products = Annotated[int | None, setting(spec.PRODUCTS)]
Days = Annotated[int | None, setting(spec.DAYS)]
StartDate = Annotated[str | None, setting(spec.START_DATE)]
Transactions = Annotated[int | None, setting(spec.TRANSACTIONS)]
MaxItems = Annotated[int | None, setting(spec.MAX_ITEMS)]
MeanItems = Annotated[float | None, setting(spec.MEAN_ITEMS)]
ChunkSize = Annotated[int | None, setting(spec.CHUNK_SIZE)]
Workers = Annotated[int | None, setting(spec.WORKERS)]
MinSupport = Annotated[float | None, setting(spec.MIN_SUPPORT)]
MinConfidence = Annotated[float | None, setting(spec.MIN_CONFIDENCE)]
MinLift = Annotated[float | None, setting(spec.MIN_LIFT)]
MinLen = Annotated[int | None, setting(spec.MIN_LEN)]
MaxLen = Annotated[int | None, setting(spec.MAX_LEN)]
MinCount = Annotated[int | None, setting(spec.MIN_COUNT)]
MaxConsequentLen = Annotated[int | None, setting(spec.MAX_CONSEQUENT_LEN)]
MaxP = Annotated[float | None, setting(spec.MAX_P)]
PAdjust = Annotated[str | None, setting(spec.P_ADJUST)]
PruneRedundant = Annotated[bool | None, setting(spec.PRUNE_REDUNDANT)]
IncludeNonMerchandise = Annotated[bool | None, setting(spec.INCLUDE_NON_MERCHANDISE)]
MaxRules = Annotated[int | None, setting(spec.MAX_RULES)]
MaxBasketSize = Annotated[int | None, setting(spec.MAX_BASKET_SIZE)]
TopK = Annotated[int | None, setting(spec.TOP_K)]
TopKBy = Annotated[str | None, setting(spec.TOP_K_BY)]
Consequent = Annotated[str | None, setting(spec.CONSEQUENT)]
Item = Annotated[str | None, setting(spec.ITEM)]
Day = Annotated[
    dt.datetime | None,
    typer.Option(formats=["%Y-%m-%d"], help="YYYY-MM-DD, inclusive", show_default=False),
]
SparkMaster = Annotated[
    str | None,
    typer.Option(
        "--spark-master",
        help="Spark master URL for --engine spark: local[*] (default), spark://host:7077, yarn, k8s://...",
    ),
]


def state_of(ctx: typer.Context) -> AppState:
    state = ctx.obj
    return state if isinstance(state, AppState) else AppState()


def quiet(ctx: typer.Context) -> bool:
    return state_of(ctx).quiet


def progress_for(ctx: typer.Context) -> Progress:
    """Rich progress bars; none with --quiet (Rich is then not even imported: start-up counts)."""
    if quiet(ctx):
        return NO_PROGRESS
    from clustr_etl.cli.console import RichProgress

    return RichProgress()


def wait_notice(ctx: typer.Context) -> OnWait:
    """Say on stderr that we wait for another writer (not with --quiet)."""
    silent = quiet(ctx)

    def notice(message: str) -> None:
        from clustr_etl.cli.console import stderr as stderr_console

        if not silent:
            stderr_console.print(
                f"Waiting: {message}", markup=False, highlight=False, soft_wrap=True
            )

    return notice


def show_results(ctx: typer.Context, results: Sequence[StepResult]) -> None:
    if quiet(ctx):
        return
    from clustr_etl.cli.console import print_results

    print_results(results)


def settings_from(ctx: typer.Context, *others: str) -> Settings:
    """Settings from the command's options: every option but ``others`` must be a setting.

    A misnamed option raises TypeError (in load_settings) instead of being dropped silently."""
    from clustr_etl.cli.start_up import started
    from clustr_etl.config.settings import load_settings

    settings = load_settings(**{k: v for k, v in ctx.params.items() if k not in others})
    started()
    return settings


By = Annotated[
    str | None,
    typer.Option("--by", help="also mine each customer group: segment or city"),
]

LastDays = Annotated[
    int | None,
    typer.Option("--last-days", min=1, help="mine the last N days of transactions"),
]

MineInput = Annotated[
    Path | None,
    typer.Option(
        "--input",
        help="mine this file (or Parquet sales folder) instead of the database's transactions",
    ),
]

MineInputFormat = Annotated[
    InputFormat,
    typer.Option(
        "--format",
        help="sales: CSV with transaction_id,product_id; "
        "basket: one comma-separated basket per line",
    ),
]

MineEngineOption = Annotated[
    MinerEngine,
    typer.Option(help="mining engine (spark: needs the clustr-etl\\[spark] extra and Java)"),
]

RulesOutput = Annotated[
    Path | None, typer.Option(help="rules CSV (default <data dir>/baseline_rules.csv)")
]

NoLoad = Annotated[bool, typer.Option("--no-load", help="do not write bundle_rules")]

TopRules = Annotated[int, typer.Option(help="print the top N rules by lift", min=0)]

Force = Annotated[bool, typer.Option(help="overwrite existing CSV files")]

NextDays = Annotated[
    int | None,
    typer.Option(
        help="continue the generated dataset: write the next N days as a batch under "
        "<data dir>/raw/batches/ (its options come from the dataset's manifest)"
    ),
]

Like = Annotated[
    Path | None,
    typer.Option("--like", help="generate a synthetic twin fitted to this raw/ folder"),
]

TwinModelFile = Annotated[
    Path | None,
    typer.Option("--model", help="generate a twin from a fitted model file (twin_model.json)"),
]

GenerateFormat = Annotated[
    OutputFormat,
    typer.Option("--format", help="csv files, or parquet: one dataset folder per table"),
]

GenerateEngineOption = Annotated[
    GeneratorEngine,
    typer.Option(help="spark: draw the transaction blocks in Spark tasks (with --format parquet)"),
]

ImportSources = Annotated[
    list[Path],
    typer.Argument(help="export files (or the Instacart folder)", show_default=False),
]

Preset = Annotated[
    str | None,
    typer.Option(
        help="online-retail, online-retail-ii, instacart or lines "
        "(default: recognised by the file's headers)",
        show_default=False,
    ),
]

MappingFile = Annotated[Path | None, typer.Option(help="TOML column mapping (--preset lines)")]

Countries = Annotated[
    list[str] | None, typer.Option(help="keep only lines of this country (repeatable)")
]

SinceText = Annotated[str | None, typer.Option(help="keep lines from this day, YYYY-MM-DD")]

UntilText = Annotated[str | None, typer.Option(help="keep lines up to this day, YYYY-MM-DD")]

Encoding = Annotated[
    str | None, typer.Option(help="text encoding of CSV sources (default: found in the file)")
]
Delimiter = Annotated[
    str | None, typer.Option(help="CSV delimiter: , ; tab | (default: found in the file)")
]
DecimalMark = Annotated[
    str | None, typer.Option(help="decimal mark of numbers, . or , (default: found)")
]
Thousands = Annotated[
    str | None, typer.Option(help="thousands separator of numbers (default: found)")
]
Currency = Annotated[
    str | None, typer.Option(help="currency of the prices, e.g. EUR (others are refused)")
]
DayFirst = Annotated[
    bool | None,
    typer.Option(
        "--dayfirst/--monthfirst",
        help="order of day and month in dates (default: found in the whole column)",
        show_default=False,
    ),
]
DateFormat = Annotated[
    str | None, typer.Option(help="strptime layout of the dates, e.g. %d.%m.%Y %H:%M")
]

ImportAppend = Annotated[
    bool,
    typer.Option(
        help="add a later export as the next batch under raw/batches/ (known keys keep their ids)"
    ),
]
