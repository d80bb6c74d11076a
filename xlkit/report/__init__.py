"""The round's outputs a person reads: the report workbook (reference: xlsxwriter; fast: rows
spliced into its sheet XML)."""
