"""Conformal group sets: the stated coverage on exchangeable data, a set of one when sure, never empty."""

import numpy as np

from bcds_core.classifier.conformal import candidate_set, conformal_quantile, mass_to_true


def test_sets_cover_the_true_group_at_the_stated_rate_on_new_data():
    rng = np.random.default_rng(0)

    def draw(n):
        probabilities = rng.dirichlet(np.full(5, 0.5), size=n)
        truth = np.array([rng.choice(5, p=p) for p in probabilities])
        return probabilities, truth

    calibration, truth = draw(2000)
    quantile = conformal_quantile(mass_to_true(calibration, truth), 0.9)
    test, test_truth = draw(2000)
    covered = np.mean([t in candidate_set(p, quantile) for p, t in zip(test, test_truth, strict=True)])
    assert 0.88 <= covered <= 0.93


def test_a_sure_answer_is_a_set_of_one_and_a_hesitant_one_holds_both():
    assert list(candidate_set(np.array([0.001, 0.998, 0.001]), 0.01)) == [1]
    assert list(candidate_set(np.array([0.5, 0.45, 0.05]), 0.5)) == [0, 1]
    assert list(candidate_set(np.array([0.2, 0.3, 0.5]), 0.0)) == [2]
    assert len(candidate_set(np.array([0.2, 0.3, 0.5]), 1.0)) == 3
