"""A quiet SparkSession for clustr-etl's Spark engine (the optional ``spark`` extra).

Nothing here imports pyspark at module import time. :func:`spark_session` checks that pyspark
and Java are present (one line saying what to install otherwise), checks that a ``spark://``
master answers before starting the JVM (one line within seconds instead of Spark's minute of
retries), sends the JVM's own stderr (log4j warnings, stage progress) to a log file instead of
the terminal, and turns Spark's failures into :class:`~clustr_etl.errors.SparkError` lines.
"""

from __future__ import annotations

import importlib.util
import os
import re
import shutil
import socket
import sys
import tempfile
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, ParamSpec, TypeVar

from clustr_etl.errors import ConfigError, SparkError

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

DEFAULT_MASTER = "local[*]"
MASTER_CONNECT_TIMEOUT = 5.0
INSTALL_HINT = "install it with: pip install 'clustr-etl[spark]'"
JAVA_HINT = (
    "install Java 17 or later (e.g. apt-get install openjdk-17-jre-headless) or set JAVA_HOME"
)
_QUIET_LOG4J = "-Dlog4j2.level=ERROR -Dlog4j.rootCategory=ERROR"

P = ParamSpec("P")
R = TypeVar("R")


def require_spark() -> None:
    """Raise a one-line SparkError unless pyspark and a Java runtime are installed."""
    if importlib.util.find_spec("pyspark") is None:
        raise SparkError("--engine spark needs pyspark, which is not installed", INSTALL_HINT)
    if java_executable() is None:
        raise SparkError("--engine spark needs a Java runtime, none was found", JAVA_HINT)


def java_executable() -> Path | None:
    """The ``java`` that pyspark will start: ``$JAVA_HOME/bin/java``, else ``java`` on PATH."""
    home = os.environ.get("JAVA_HOME")
    if home:
        candidate = Path(home) / "bin" / "java"
        return candidate if candidate.is_file() else None
    found = shutil.which("java")
    return Path(found) if found else None


def check_master_reachable(master: str, timeout: float = MASTER_CONNECT_TIMEOUT) -> None:
    """For ``spark://host:port[,host:port]`` masters, fail fast when no master accepts a connection."""
    if not master.startswith("spark://"):
        return
    addresses = master.removeprefix("spark://").split(",")
    for address in addresses:
        host, _, port = address.rpartition(":")
        if not host or not port.isdigit():
            raise ConfigError(
                f"invalid Spark master URL {master!r}", "expected spark://host:port (port 7077)"
            )
        try:
            with socket.create_connection((host, int(port)), timeout=timeout):
                return
        except OSError:
            continue
    raise SparkError(
        f"Spark master {master} is unreachable",
        "check --spark-master, that the master runs and that its port is open",
    )


def spark_errors(function: Callable[P, R]) -> Callable[P, R]:
    """Decorator: Spark and Py4J failures become a one-line SparkError."""

    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        require_spark()  # one line saying what to install, before anything imports pyspark
        from py4j.protocol import Py4JError, Py4JNetworkError
        from pyspark.errors import PySparkException

        try:
            return function(*args, **kwargs)
        except (ConnectionError, Py4JNetworkError) as err:  # the JVM is gone: Py4J cannot reach it
            reason = err.strerror if isinstance(err, OSError) else first_line(err)
            raise SparkError(
                f"Spark failed: its Java process stopped unexpectedly ({reason})",
                "if it ran out of memory, give it more: "
                'CLUSTR_SPARK_CONF="spark.driver.memory=8g" in local mode, executor memory on a cluster',
            ) from err
        except (PySparkException, Py4JError) as err:
            raise SparkError(f"Spark failed: {first_line(err)}") from err

    wrapper.__doc__ = function.__doc__
    wrapper.__name__ = function.__name__
    return wrapper


def first_line(err: BaseException) -> str:
    """The first non-empty line of an error, without Py4J's or the JVM's stack trace; for a
    failure in a Python worker, the exception line that ends its traceback."""
    text = str(err)
    if "Traceback (most recent call last)" in text:
        raised = re.findall(r"^(\w+(?:Error|Exception): .*)$", text, flags=re.MULTILINE)
        if raised:
            return str(raised[-1]).split(" SQLSTATE")[0].strip()
    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith(("An error occurred while calling", "at ")):
            return line.removeprefix("py4j.protocol.Py4JJavaError: ")
    return type(err).__name__


@contextmanager
def spark_session(
    master: str | None = None, app_name: str = "clustr-etl"
) -> Iterator[SparkSession]:
    """A SparkSession on ``master``: reuses an active one (tests), else starts and later stops one.

    Without a master: spark-submit's (when it launched us), else ``local[*]``."""
    require_spark()
    from pyspark.sql import SparkSession

    warnings.filterwarnings("ignore", message="PySpark does not yet fully support pandas")
    active = SparkSession.getActiveSession()
    if active is not None:
        yield active
        return
    if master is None and "PYSPARK_GATEWAY_PORT" not in os.environ:
        master = DEFAULT_MASTER
    if master is not None:
        check_master_reachable(master)
    session = _start_quietly(master, app_name)
    try:
        yield session
    finally:
        session.stop()


def _start_quietly(master: str | None, app_name: str) -> SparkSession:
    """Start the JVM with its stderr sent to a log file (never the terminal) and log4j at ERROR."""
    from py4j.protocol import Py4JError
    from pyspark.errors import PySparkException
    from pyspark.sql import SparkSession

    builder = (
        SparkSession.builder.appName(app_name)
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.driver.extraJavaOptions", _QUIET_LOG4J)
        .config("spark.executor.extraJavaOptions", _QUIET_LOG4J)
    )
    if master is not None:  # else spark-submit's master and settings
        builder = builder.master(master).config(
            "spark.sql.shuffle.partitions", str(shuffle_partitions(master))
        )
    if master is not None and master.startswith(
        "local"
    ):  # Python workers run this interpreter (and see clustr_etl)
        os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    for key, value in _extra_conf().items():
        builder = builder.config(key, value)
    try:
        with _stderr_to(jvm_log_path()):
            session = builder.getOrCreate()
    except (PySparkException, Py4JError, RuntimeError) as err:
        raise SparkError(
            f"cannot start Spark on {master or 'the spark-submit master'}: {first_line(err)}",
            f"see {jvm_log_path()} for the JVM's log",
        ) from None
    session.sparkContext.setLogLevel("ERROR")
    return session


def shuffle_partitions(master: str) -> int:
    """Spark's default 200 shuffle partitions cost seconds on small local runs; use a few per core."""
    if master.startswith("local"):
        return max(4, 2 * (os.cpu_count() or 1))
    return 200


def _extra_conf() -> dict[str, str]:
    """``CLUSTR_SPARK_CONF="key=value;key=value"`` passes Spark settings (memory, executors...)."""
    conf: dict[str, str] = {}
    for entry in os.environ.get("CLUSTR_SPARK_CONF", "").split(";"):
        key, sep, value = entry.partition("=")
        if sep and key.strip():
            conf[key.strip()] = value.strip()
    return conf


def jvm_log_path() -> Path:
    return Path(tempfile.gettempdir()) / f"clustr-etl-spark-{os.getuid()}.log"


@contextmanager
def _stderr_to(path: Path) -> Iterator[None]:
    """Point file descriptor 2 at ``path`` while the JVM starts (it inherits it for good)."""
    sys.stderr.flush()
    saved = os.dup(2)
    try:
        with path.open("ab") as log:
            os.dup2(log.fileno(), 2)
            yield
    finally:
        sys.stderr.flush()
        os.dup2(saved, 2)
        os.close(saved)
