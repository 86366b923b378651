"""Silver: bronze standardised to WS 363/364 data elements, residents resolved, rejects quarantined."""

# The silver jobs in the order they must run (the resident index first; encounters before the
# diagnoses and prescriptions that hang off them). jobs/silver/standardise.py implements each.
JOBS = (
    "residents",
    "encounters",
    "observations",
    "diagnoses",
    "medications",
    "chronic_followups",
    "tcm_assessments",
    "device_readings",
)
