"""The expression language: one tree per rule, rendered as an Excel 2010 / WPS formula
(tree.py), evaluated in Python (tree.py) and compiled to straight-line Python (compile.py)."""
