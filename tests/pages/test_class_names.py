"""Naming a class once on the Data page: the confusion matrix's axes and the Predict table say the name; a
record kept before classes could be named still loads."""

from __future__ import annotations

from mllab.prepare.cleaning import CleaningChoices
from page_support import new_app, plotly_specs, predict_until_done, train_until_done


def test_a_class_named_on_the_data_page_names_it_in_the_confusion_matrix_and_the_predict_table():
    at = new_app()
    at.selectbox(key="builtin-choice").set_value("iris").run()
    boxes = {box.label: box for box in at.text_input}
    assert {"setosa →", "versicolor →", "virginica →"} <= set(boxes)
    boxes["setosa →"].input("bristle-pointed iris").run()
    at.switch_page("views/train.py").run()
    at.selectbox(key="family").set_value("random_forest").run()
    at.button(key="train-button").click().run()
    train_until_done(at)
    heatmaps = [s for s in plotly_specs(at) if s["data"] and s["data"][0].get("type") == "heatmap"
                and "versicolor" in s["data"][0].get("y", [])]
    assert heatmaps, "no confusion matrix on the Train page"
    assert heatmaps[0]["data"][0]["y"] == ["bristle-pointed iris", "versicolor", "virginica"]
    assert heatmaps[0]["data"][0]["x"] == ["bristle-pointed iris", "versicolor", "virginica"]

    at.switch_page("views/predict.py").run()
    at.radio(key="predict-source").set_value("loaded").run()
    at.button(key="predict-button").click().run()
    predict_until_done(at)
    assert not at.error, [e.value for e in at.error]
    table = at.dataframe[0].value
    # The answer first: the class as the data holds it, the name given to it, how sure the model is.
    assert list(table.columns[:3]) == ["predicted_species", "predicted_species_name", "predicted_species_probability"]
    assert set(table.loc[table["predicted_species"] == "setosa", "predicted_species_name"]) == {"bristle-pointed iris"}
    assert set(table.loc[table["predicted_species"] == "virginica", "predicted_species_name"]) == {"virginica"}
    # Least sure first, for checking by hand.
    at.radio(key="predict-order").set_value("least").run()
    sure = at.dataframe[0].value["predicted_species_probability"].to_numpy()
    assert (sure[:-1] <= sure[1:]).all() and sure[0] < 1.0


def test_a_record_kept_before_classes_could_be_named_still_loads():
    old = {"target": "clump", "missing": [["numax", -99.0]], "offered_markers": [], "excluded": ["KIC"],
           "derived": [], "kind": None, "unknown": ["-1"], "left_out": []}
    choices = CleaningChoices.from_dict(old)
    assert choices.class_labels == () and choices.unknown == ("-1",) and choices.missing == (("numax", -99.0),)
    named = choices.replace(class_labels=(("1", "red clump"),))
    assert CleaningChoices.from_dict(named.as_dict()) == named
