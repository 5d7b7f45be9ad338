"""The Data page reads the SDSS MGS pair chosen together; the Train page starts on its supplied test part."""

from page_support import UPLOAD, new_app, regression_done, texts

SDSS = "/work/shared/datasets/sdss_mgs/"


def test_the_sdss_pair_uploaded_together_trains_on_its_supplied_test_part():
    at = new_app()
    at.radio(key="data-source").set_value(UPLOAD).run()
    at.file_uploader[0].set_value([(name, open(SDSS + name, "rb").read(), "text/plain")
                                   for name in ("SDSS_MGS.train", "SDSS_MGS.test")]).run()
    assert not at.exception, at.exception
    dataset = at.session_state["raw-dataset"]
    assert len(dataset.frame) == 10_000 and dataset.part_column == "part"
    name = dataset.name
    target = at.selectbox(key=f"target-{name}")
    assert "part" not in target.options  # the part says how to split, never what to learn
    target.set_value("zs").run()
    at.switch_page("views/train.py").run()
    assert not at.exception, at.exception
    assert at.selectbox(key="val-scheme").value == "supplied"
    assert "Train on the 5,000 rows of the training part, test on the 5,000 of the supplied test part" in texts(at)
    at.selectbox(key="family").set_value("random_forest").run()
    at.slider(key="hp-random_forest-n_estimators").set_value(10).run()
    at.button(key="train-button").click().run()
    regression_done(at)
    result = at.session_state["runs"][-1].result
    assert (result.n_train, result.n_test) == (5_000, 5_000)  # tested on exactly the supplied test part

