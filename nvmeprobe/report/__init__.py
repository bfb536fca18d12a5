"""Reports, comparisons, exports and SQL over profiles (the profile ecosystem).

Imported lazily by the CLI: matplotlib and duckdb load only for the command that needs them.
"""
