"""When a stored linkage model still serves, and what makes it stale."""

from jobs.silver.linkage import LinkageSettings, model_fingerprint
from jobs.silver.linkage_model import StoredModel, retrain_reason

SETTINGS = LinkageSettings(0.99, 0.8, u_max_pairs=1_000_000)
FINGERPRINT = model_fingerprint(SETTINGS)


def test_a_stored_model_serves_until_the_index_grows_past_the_threshold():
    stored = StoredModel(FINGERPRINT, 100_000, {})
    assert retrain_reason(stored, FINGERPRINT, 100_000, growth=0.10) is None
    assert retrain_reason(stored, FINGERPRINT, 110_000, growth=0.10) is None
    assert "grew from 100,000 to 110,001" in retrain_reason(stored, FINGERPRINT, 110_001, growth=0.10)
    assert retrain_reason(stored, FINGERPRINT, 100_000, growth=0.0) is None
    assert retrain_reason(stored, FINGERPRINT, 100_001, growth=0.0) is not None


def test_no_model_or_another_definition_means_training():
    assert retrain_reason(None, FINGERPRINT, 10, growth=0.10) == "no model trained yet"
    other = model_fingerprint(LinkageSettings(0.99, 0.8, u_max_pairs=500_000))
    assert other != FINGERPRINT
    assert "changed" in retrain_reason(StoredModel(other, 10, {}), FINGERPRINT, 10, growth=0.10)


def test_the_fingerprint_ignores_the_thresholds_that_only_decide_after_scoring():
    assert model_fingerprint(LinkageSettings(0.5, 0.1, u_max_pairs=1_000_000, retrain_growth=0.5)) == FINGERPRINT
