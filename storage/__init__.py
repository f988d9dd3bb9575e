"""The lakehouse: the Delta tables of DESIGN §4 and the operations the product needs on them.

Knows Delta and the table catalogue, nothing else.
"""

from storage.catalog import TABLES, TableSpec, table_spec
from storage.lakehouse import Lakehouse, StorageError, TableMissingError, WriteResult, as_arrow

__all__ = [
    "TABLES",
    "Lakehouse",
    "StorageError",
    "TableMissingError",
    "TableSpec",
    "WriteResult",
    "as_arrow",
    "table_spec",
]
