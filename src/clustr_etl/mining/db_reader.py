"""Reading baskets from the ``sales`` table in bulk, without one Python object per sale line.

How the pairs are fetched fast is backend-specific (``Backend.read_sales_pairs``: a binary COPY of int8
arrays on PostgreSQL, ``group_concat`` chunks on SQLite); here they become baskets.
"""

from __future__ import annotations

from sqlalchemy import Engine
from sqlalchemy.exc import DBAPIError

from clustr_etl.backends import backend_for, driver_error_line
from clustr_etl.errors import DatabaseError, InputFileError
from clustr_etl.mining.baskets import Baskets, baskets_from_pairs


def read_baskets_from_db(engine: Engine) -> Baskets:
    """Baskets from ``sales(transaction_id, product_id)``; labels are product ids as text."""
    try:
        tids, pids = backend_for(engine).read_sales_pairs(engine)
    except DBAPIError as err:
        raise DatabaseError(
            f"cannot read sales from the database: {driver_error_line(err, engine.url)}",
            "run init-db and load the sales table first",
        ) from None
    if tids.size == 0:
        raise InputFileError("the sales table is empty: nothing to mine", "load sales first")
    return baskets_from_pairs(tids, pids)
