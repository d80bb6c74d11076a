"""xlkit: build, read and reconcile 绩效自评表 (budget performance self-evaluation) workbooks."""

__version__ = "0.1.0"

from xlkit.read import read_many, read_workbook  # noqa: E402
from xlkit.read.tables import Tables  # noqa: E402

__all__ = ["Tables", "__version__", "read_many", "read_workbook"]
