"""The lakehouse: the Delta tables of DESIGN §4 and the operations the product needs on them.

Knows Delta and the table catalogue, nothing else.
"""

from storage.catalog import TABLES, ColumnOptions, TableSpec, table_spec
from storage.lakehouse import (
    Lakehouse,
    StorageError,
    TableMissingError,
    WriteResult,
    as_arrow,
    writer_properties,
)

__all__ = [
    "TABLES",
    "ColumnOptions",
    "Lakehouse",
    "StorageError",
    "TableMissingError",
    "TableSpec",
    "WriteResult",
    "as_arrow",
    "table_spec",
    "writer_properties",
]
