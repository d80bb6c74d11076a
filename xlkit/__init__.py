"""xlkit: build, read and reconcile 绩效自评表 (budget performance self-evaluation) workbooks."""

__version__ = "0.1.0"
