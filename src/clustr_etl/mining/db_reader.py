"""Reading baskets from the ``sales`` table in bulk, without one Python object per sale line.

How the pairs are fetched fast is backend-specific (``Backend.read_sales_pairs``: a binary COPY of int8
arrays on PostgreSQL, ``group_concat`` chunks on SQLite); here they become baskets.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
from sqlalchemy import Engine
from sqlalchemy.exc import DBAPIError

from clustr_etl.errors import DatabaseError, InputFileError
from clustr_etl.mining.baskets import Baskets, baskets_from_pairs
from clustr_etl.store.backends import backend_for, driver_error_line

Int64Array = npt.NDArray[np.int64]


def read_baskets_from_db(engine: Engine) -> Baskets:
    """Baskets from ``sales(transaction_id, product_id)``; labels are product ids as text."""
    return baskets_from_pairs(*read_sales_pairs(engine))


def read_sales_pairs(engine: Engine) -> tuple[Int64Array, Int64Array]:
    """(transaction_id, product_id) of every sale line, in no particular order."""
    try:
        tids, pids = backend_for(engine).read_sales_pairs(engine)
    except DBAPIError as err:
        raise DatabaseError(
            f"cannot read sales from the database: {driver_error_line(err, engine.url)}",
            "run init-db and load the sales table first",
        ) from None
    if tids.size == 0:
        raise InputFileError("the sales table is empty: nothing to mine", "load sales first")
    return tids, pids
