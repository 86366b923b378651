"""Pure rules of the Chinese health data standards, shared by the generator and the jobs."""
