from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from clustr_etl.config.settings import load_settings
from clustr_etl.errors import ConfigError


def test_defaults_use_embedded_sqlite_in_data_dir() -> None:
    settings = load_settings()
    assert settings.data_dir == Path("data")
    assert settings.raw_dir == Path("data/raw")
    assert settings.database_url_value == "sqlite:///data/clustr.db"
    assert settings.rules_path == Path("data/baseline_rules.csv")


def test_environment_overrides_defaults(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CLUSTR_TRANSACTIONS", "1234")
    monkeypatch.setenv("CLUSTR_START_DATE", "2023-02-03")
    monkeypatch.setenv("CLUSTR_DATA_DIR", "/tmp/elsewhere")
    settings = load_settings()
    assert settings.generation.transactions == 1234
    assert settings.generation.start_date == dt.date(2023, 2, 3)
    assert settings.database_url_value == "sqlite:////tmp/elsewhere/clustr.db"


def test_dotenv_file_is_read_and_options_win(monkeypatch: pytest.MonkeyPatch) -> None:
    Path(".env").write_text("CLUSTR_SEED=7\nCLUSTR_CUSTOMERS=99\n", encoding="utf-8")
    monkeypatch.setenv("CLUSTR_CUSTOMERS", "50")
    settings = load_settings(seed=None, customers=None)
    assert (settings.generation.seed, settings.generation.customers) == (7, 50)
    assert load_settings(seed=11).generation.seed == 11


@pytest.mark.parametrize(
    ("overrides", "expected"),
    [
        ({"max_items": 0}, "--max-items / CLUSTR_MAX_ITEMS"),
        ({"min_support": 1.5}, "--min-support / CLUSTR_MIN_SUPPORT"),
        ({"min_confidence": 0}, "--min-confidence / CLUSTR_MIN_CONFIDENCE"),
        ({"start_date": "2024-13-01"}, "--start-date / CLUSTR_START_DATE"),
        ({"min_len": 5, "max_len": 3}, "--min-len (5) is greater than --max-len (3)"),
    ],
)
def test_invalid_values_name_the_setting(overrides: dict[str, object], expected: str) -> None:
    with pytest.raises(ConfigError) as info:
        load_settings(**overrides)
    assert expected in str(info.value)
    assert "\n" not in str(info.value)


def test_invalid_environment_value_is_one_clear_line(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CLUSTR_SEED", "abc")
    with pytest.raises(ConfigError, match=r"CLUSTR_SEED: .*valid integer.*'abc'"):
        load_settings()


def test_database_url_is_secret_in_repr() -> None:
    settings = load_settings(database_url="postgresql+psycopg://u:hunter2@db:5432/x")
    assert "hunter2" not in repr(settings)
    assert "hunter2" not in str(settings)
    assert settings.database_url_value.endswith("@db:5432/x")
