"""Bronze: source records as delivered, with lineage; unparseable records to quarantine.bronze_rejects."""
