"""Domain exceptions. Only the CLI turns them into a red line and an exit code."""

from __future__ import annotations


class ClustrError(Exception):
    """Base class: a problem the user can fix. ``str(err)`` is one line saying what and how."""

    exit_code = 1

    def __init__(self, message: str, hint: str | None = None) -> None:
        self.message = message
        self.hint = hint
        super().__init__(message if hint is None else f"{message} ({hint})")


class ConfigError(ClustrError):
    """A setting or option has an invalid value."""

    exit_code = 2


class InputFileError(ClustrError):
    """A CSV or input file is missing, unreadable or malformed."""


class DataValidationError(InputFileError):
    """A file is readable but its content breaks a rule (types, keys, constraints)."""


class DatabaseError(ClustrError):
    """The database is unreachable or refused an operation."""


class TablesBusyError(DatabaseError):
    """Other sessions kept a lock on the tables a load switches in, past --lock-timeout (exit 1)."""


class SchemaError(ClustrError):
    """The database schema is missing or out of date."""


class UnknownTableError(ClustrError):
    """A table name that is not part of the schema."""

    exit_code = 2


class LockTimeoutError(ClustrError):
    """Another clustr-etl process holds the writer lock (exit 75, EX_TEMPFAIL: try again later)."""

    exit_code = 75


class KeyConflictError(DataValidationError):
    """An appended fact row whose key exists in the database with other values."""

    def __init__(self, table: str, key_column: str, key: object, column: str, label: str) -> None:
        self.table, self.key_column, self.key, self.column, self.label = (
            table,
            key_column,
            key,
            column,
            label,
        )
        super().__init__(
            f"{label}: {key_column} {key} already exists in {table} with another {column}",
            "facts are insert-only; fix the batch; nothing was changed",
        )


class SparkError(ClustrError):
    """Spark is not installed, cannot start, cannot reach its master, or a Spark job failed."""


class MiningBudgetError(ClustrError):
    """Mining would build more rules than --max-rules allows (exit 3); nothing was written or loaded."""

    exit_code = 3
