"""The core every stage shares: form specs, layout, scoring rules, _meta, value parsing and
the expression language the rules are written in."""
