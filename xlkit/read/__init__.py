"""Returned workbooks → records, findings and tables."""

from xlkit.ooxml.safety import DEFAULT_LIMITS, Limits
from xlkit.read.batch import expand, iter_read, read_many, tables_of
from xlkit.read.workbook import ReadResult, read_workbook

__all__ = ["DEFAULT_LIMITS", "Limits", "ReadResult", "expand", "iter_read", "read_many",
           "read_workbook", "tables_of"]
