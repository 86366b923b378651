"""Gold: the marts dbt builds (dbt/), and the contract checks run on them once built."""
