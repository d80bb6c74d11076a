"""The built-in form specs (package data: xlkit.templates)."""
