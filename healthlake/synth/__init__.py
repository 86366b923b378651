"""The synthetic source generator: the only data healthlake ever sees. Vectorised with numpy so
that a million residents take minutes. What it knows (true person, true conditions) is written to
HEALTHLAKE_HOME/ground_truth, which the pipeline never reads."""
