"""The review page says which images its evaluation measured, as ``evaluate`` recorded them."""

from bcds_ui.review_data import evaluation_caption

METRICS = {"n": 2234, "n_fine": 2203, "accuracy_8": 0.9857, "accuracy_11": 0.9319}


def test_the_caption_names_the_split_and_images_evaluate_recorded():
    test = evaluation_caption({**METRICS, "measured_on": {"images": "pbc", "split": "test", "limit": None}})
    assert "test split of `pbc`, never trained on" in test and "2234 images" in test
    training = evaluation_caption(
        {**METRICS, "measured_on": {"images": "pbc", "split": "train", "limit": 50}}
    )
    assert "never trained on" not in training and "learned these cells, its first 50 images" in training


def test_an_evaluation_that_recorded_nothing_claims_no_split():
    caption = evaluation_caption(METRICS)
    assert "images it did not record" in caption and "split" not in caption
