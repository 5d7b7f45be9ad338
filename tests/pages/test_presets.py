"""The workflow presets: every step valid for its family and data, the headline figures reached, and
the Workflows page setting up the Train and Search pages in one click."""

import io
import zipfile

import pytest
from streamlit.testing.v1 import AppTest

from mllab.datasets.model import markdown_escape
from mllab.models import FAMILIES
from mllab.models.keras_common import learning_rate_at
from mllab.params import FloatParam
from mllab.presets import WORKFLOWS, find_step, full_settings, load_workflow_data, training_spec
from mllab.training.holdout import run_training
from mllab.training.schemes import ValidationConfig
from mllab.training.search import SearchSpec, dimension_for, validate_search
from mllab.training.spec import LocalReporter

from conftest import ROOT
from page_support import train_until_done

TIMEOUT = 120


@pytest.fixture(scope="module")
def workflow_data():
    return {w.key: load_workflow_data(w) for w in WORKFLOWS}


def _search_spec(workflow, step, dataset) -> SearchSpec:
    family = FAMILIES[step.family]
    params = {p.name: p for p in family.params}
    dimensions = []
    for name, chosen in step.search.vary.items():
        if isinstance(chosen, tuple):
            dimensions.append(dimension_for(params[name], chosen[:2], n_values=chosen[2]))
        else:
            dimensions.append(dimension_for(params[name], chosen))
    return validate_search(SearchSpec(
        base=training_spec(workflow, step, dataset), dimensions=tuple(dimensions), strategy=step.search.strategy,
        validation=ValidationConfig.from_values({**full_settings(step)["validation"], **step.search.validation}),
        metric=step.search.metric))


def test_every_step_is_valid_for_its_family_and_its_dataset(workflow_data):
    for workflow in WORKFLOWS:
        dataset = workflow_data[workflow.key].cleaned.dataset
        assert workflow.target in dataset.frame.columns
        for step in workflow.steps:
            spec = training_spec(workflow, step, dataset)
            assert spec.task == workflow.task
            # A log-scaled setting off its slider's grid would be moved to the nearest grid value on the page.
            for param in FAMILIES[step.family].params:
                if isinstance(param, FloatParam) and param.log and param.name in step.params:
                    assert step.params[param.name] in param.grid(), (workflow.key, step.key, param.name)
            if step.search is not None:
                spec = _search_spec(workflow, step, dataset)
                assert len(spec.planned) >= 4, (workflow.key, step.key)


def test_the_pima_grid_is_optimiser_by_initialiser_by_epochs_by_batch(workflow_data):
    workflow, step = find_step("pima", "grid")
    spec = _search_spec(workflow, step, workflow_data["pima"].cleaned.dataset)
    assert {d.name for d in spec.dimensions} == {"optimiser", "initialiser", "epochs", "batch_size"}
    assert len(spec.planned) == 16
    assert spec.validation.scheme == "stratified_kfold"


def test_the_pima_steps_are_the_tutorials_network(workflow_data):
    workflow, step = find_step("pima", "holdout")
    spec = training_spec(workflow, step, workflow_data["pima"].cleaned.dataset)
    assert spec.params["hidden_layers"] == (12, 8)
    assert (spec.params["initialiser"], spec.params["activation"], spec.params["optimiser"]) == \
        ("random_uniform", "relu", "adam")
    assert (spec.params["epochs"], spec.params["batch_size"]) == (150, 10)
    assert spec.preprocessing.test_fraction == pytest.approx(0.2)
    _, kfold = find_step("pima", "kfold")
    spec = training_spec(workflow, kfold, workflow_data["pima"].cleaned.dataset)
    assert (spec.validation.scheme, spec.validation.n_folds) == ("stratified_kfold", 10)


def test_the_784_128_10_sgd_step_reaches_080_on_fashion_mnist(workflow_data):
    workflow, step = find_step("sgd-mlp", "train")
    spec = training_spec(workflow, step, workflow_data["sgd-mlp"].cleaned.dataset)
    assert (spec.params["optimiser"], spec.params["momentum"], spec.params["batch_size"], spec.params["epochs"]) == \
        ("sgd", 0.0, 128, 20)
    assert spec.params["learning_rate"] == 0.01  # Keras's "sgd" as the tutorial trains it
    _, fast = find_step("sgd-mlp", "fast")
    assert training_spec(workflow, fast, workflow_data["sgd-mlp"].cleaned.dataset).params["learning_rate"] == 0.1
    result = run_training(spec, LocalReporter())
    assert result.model_summary is not None and "128" in result.model_summary
    assert result.evaluation.accuracy >= 0.80


def test_softmax_regression_has_no_hidden_layer_and_learns(workflow_data):
    workflow, step = find_step("annealed-sgd", "logistic")
    spec = training_spec(workflow, step, workflow_data["annealed-sgd"].cleaned.dataset)
    assert spec.params["hidden_layers"] == ()
    # Annealing: each epoch's learning rate is 0.9 times the previous one.
    assert learning_rate_at(spec.params, 5) == pytest.approx(0.01 * 0.9 ** 5)
    result = run_training(spec, LocalReporter())
    assert result.evaluation.accuracy >= 0.78
    assert len(result.history) == 30


def test_the_photo_z_step_reaches_nmad_0015(workflow_data):
    workflow, step = find_step("photo-z", "train")
    spec = training_spec(workflow, step, workflow_data["photo-z"].cleaned.dataset)
    assert spec.task == "regression" and spec.redshift
    result = run_training(spec, LocalReporter())
    assert result.evaluation.photo_z.nmad <= 0.015


def _mnist_style_zip() -> bytes:
    """Fashion-MNIST's images and labels as the two IDX files MNIST is distributed as, zipped."""
    import gzip

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name in ("images-idx3-ubyte", "labels-idx1-ubyte"):
            data = (ROOT / "mllab" / "datasets" / "files" / f"fashion_mnist_subset-{name}.gz").read_bytes()
            archive.writestr(f"train-{name}", gzip.decompress(data))
    return buffer.getvalue()


def _apply(at: AppTest, button_key: str, page: str) -> AppTest:
    """Click a step. AppTest draws the page st.switch_page opens, but runs the clicked page's script
    again on the next run: follow the switch as the browser does."""
    at.button(key=button_key).click().run()
    assert not at.exception
    return at.switch_page(page).run()


def _workflows_page() -> AppTest:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=TIMEOUT).run()
    at.switch_page("views/workflows.py").run()
    assert not at.exception
    return at


def test_a_step_loads_its_dataset_sets_the_train_page_and_trains_to_its_figure():
    at = _workflows_page()
    assert [s.value for s in at.subheader] == [w.title for w in WORKFLOWS]
    _apply(at, "preset-sgd-mlp-train", "views/train.py")
    assert at.title[0].value == "Train"
    assert "784-128-10" in at.info[0].value and "Expect" in at.info[0].value
    assert "0.83 on the built-in Fashion-MNIST" in at.info[0].value  # the lesson of the data loaded
    assert at.selectbox(key="family").value == "mlp"
    assert at.text_input(key="hp-mlp-hidden_layers").value == "128"
    assert at.selectbox(key="hp-mlp-optimiser").value == "sgd"
    assert at.select_slider(key="hp-mlp-learning_rate").value == 0.01
    assert (at.slider(key="hp-mlp-batch_size").value, at.slider(key="hp-mlp-epochs").value) == (128, 20)
    assert "Fashion" in at.caption[0].value
    at.button(key="train-button").click().run()
    train_until_done(at)
    accuracy = next(m for m in at.metric if m.label == "Test accuracy")
    assert float(accuracy.value) >= 0.80
    # The Data page agrees: the step's dataset is the current one, with its target.
    at.switch_page("views/data.py").run()
    assert at.selectbox(key="builtin-choice").value == "fashion_mnist"
    assert at.session_state.target == "article"


def test_an_image_step_is_offered_for_mnist_loaded_from_idx_files():
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=TIMEOUT).run()
    at.radio(key="data-source").set_value("Upload a file").run()
    at.file_uploader[0].set_value(("mnist.zip", _mnist_style_zip(), "application/zip")).run()
    assert not at.exception and not at.error
    at.switch_page("views/workflows.py").run()
    loaded = at.button(key="preset-sgd-mlp-train-loaded")
    assert markdown_escape("mnist.zip") in loaded.label  # button labels are markdown
    with pytest.raises(KeyError):
        at.button(key="preset-pima-holdout-loaded")  # not an image workflow
    _apply(at, "preset-sgd-mlp-train-loaded", "views/train.py")
    assert at.title[0].value == "Train" and markdown_escape("mnist.zip") in at.caption[0].value
    assert at.text_input(key="hp-mlp-hidden_layers").value == "128"
    # The lesson speaks of the data loaded, not of the built-in Fashion-MNIST's clothes.
    lesson = next(i.value for i in at.info if "784-128-10" in i.value)
    assert "0.926" in lesson and "Fashion" not in lesson and "Shirts" not in lesson
    at.button(key="train-button").click().run()
    train_until_done(at)
    assert float(next(m for m in at.metric if m.label == "Test accuracy").value) >= 0.80


def test_a_search_step_sets_the_search_page_up():
    at = _workflows_page()
    _apply(at, "preset-pima-grid", "views/search.py")
    assert at.title[0].value == "Hyperparameter search"
    captions = " ".join(c.value for c in at.caption)
    assert "16 candidates × 3 models each" in captions
    assert "preprocessing as in the workflow step" in captions
    assert set(at.multiselect(key="search-mlp-options-optimiser").value) == {"adam", "rmsprop"}
    assert at.slider(key="search-mlp-epochs-range").value == (20, 40)
    assert at.selectbox(key="search-val-scheme").value == "stratified_kfold"
    assert "Grid search" in at.info[0].value


def test_the_forest_step_keeps_its_model_and_offers_the_zip():
    at = _workflows_page()
    _apply(at, "preset-forest-train", "views/train.py")
    assert at.checkbox(key="keep-model").value is True
    at.button(key="train-button").click().run()
    train_until_done(at)
    download = at.get("download_button")
    assert len(download) == 1 and "Download the trained model" in download[0].proto.label
    # The next step is K-fold: one model per fold, so keeping a model is switched off and greyed.
    at.switch_page("views/workflows.py").run()
    _apply(at, "preset-forest-pca-cv", "views/train.py")
    assert at.checkbox(key="keep-model").value is False and at.checkbox(key="keep-model").disabled
