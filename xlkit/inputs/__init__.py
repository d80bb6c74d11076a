"""The office's inputs: reading sheets as they come, the budget list, approved targets, and
budget / 决算 exports."""
