"""PySpark jobs: pure transforms plus one thin `run()` per job that reads, transforms and writes."""
