"""The round: collect returns, reconcile them with the list and 决算 by rules, keep the
ledger, hand the result to the report."""
