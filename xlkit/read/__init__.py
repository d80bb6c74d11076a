"""Returned workbooks → records, findings and tables."""

from .batch import expand, iter_read, read_many, tables_of
from .safety import DEFAULT_LIMITS, Limits
from .workbook import ReadResult, read_workbook

__all__ = ["DEFAULT_LIMITS", "Limits", "ReadResult", "expand", "iter_read", "read_many",
           "read_workbook", "tables_of"]
