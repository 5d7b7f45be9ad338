"""Feature importance and PCA explained variance, measured on the worker right after training."""

import numpy as np
import pytest

from mllab import charts
from mllab.datasets.builtin import load_builtin
from mllab.evaluation.importance import MAX_ROWS, permutation_importance, top_features
from mllab.prepare.preprocessing import PreprocessConfig
from mllab.training.holdout import run_training
from mllab.training.spec import LocalReporter, TrainingSpec, validate_spec


def _run(dataset, family="random_forest", params=None, task="classification", **preprocessing):
    spec = validate_spec(TrainingSpec(dataset=dataset, target=dataset.target,
                                      preprocessing=PreprocessConfig(**preprocessing), family=family,
                                      params=params or {}, task=task))
    reporter = LocalReporter()
    return run_training(spec, reporter), reporter


@pytest.mark.parametrize("seed", [42, 7])
def test_pima_forest_impurity_sums_to_one_and_glucose_matters_most_when_shuffled(seed):
    result, reporter = _run(load_builtin("pima"), seed=seed)
    importance = result.importance
    assert importance.features == ["Pregnancies", "Glucose", "BloodPressure", "SkinThickness", "Insulin", "BMI",
                                   "DiabetesPedigreeFunction", "Age"]
    assert sum(importance.impurity) == pytest.approx(1.0)
    assert top_features(importance, "impurity", 1)[0][0] == "Glucose"
    assert top_features(importance, "permutation", 1)[0][0] == "Glucose"
    glucose = importance.features.index("Glucose")
    # Shuffling Glucose costs the forest several points of test accuracy, well beyond its spread.
    assert importance.permutation_mean[glucose] > 0.04
    assert importance.permutation_mean[glucose] > 2 * importance.permutation_std[glucose]
    assert importance.baseline_score == pytest.approx(result.evaluation.accuracy)
    assert importance.n_rows == result.n_test and importance.score_label == "accuracy"
    assert {"type": "status", "message": "Measuring feature importance"} in reporter.events


def test_a_pure_noise_column_has_permutation_importance_near_zero():
    dataset = load_builtin("pima")
    frame = dataset.frame.copy()
    frame.insert(0, "noise", np.random.default_rng(0).normal(size=len(frame)))
    dataset.frame = frame
    result, _ = _run(dataset)
    importance = result.importance
    noise = importance.features.index("noise")
    assert abs(importance.permutation_mean[noise]) < 0.02
    assert importance.permutation_mean[importance.features.index("Glucose")] > 0.04


def test_permutation_importance_of_every_family_on_breast_cancer_names_the_worst_radius_features():
    # Logistic regression and the Keras MLP hand back a predictor too; the tumour's size columns
    # carry the diagnosis, so at least one of them ranks in each model's top five.
    dataset = load_builtin("breast_cancer")
    for family, params in (("logistic_regression", {}), ("mlp", {"epochs": 20, "batch_size": 32})):
        result, _ = _run(dataset, family, params)
        importance = result.importance
        assert importance.impurity is None
        top = [name for name, _, _ in top_features(importance, "permutation", 5)]
        assert any(word in name for name in top for word in ("radius", "area", "perimeter", "concave")), (family, top)
        assert importance.baseline_score == pytest.approx(result.evaluation.accuracy)


def test_regression_permutation_is_a_drop_in_r2_and_rows_are_capped():
    dataset = load_builtin("sdss_mgs")
    result, _ = _run(dataset, "linear_regression", {"alpha": 0.0}, task="regression")
    importance = result.importance
    assert importance.score_label == "R²"
    assert importance.n_rows == min(MAX_ROWS, result.n_test)
    best = top_features(importance, "permutation", 1)[0]
    assert best[1] > 0.05  # losing the most useful magnitude or colour costs R²


def test_images_get_no_permutation_bars_but_a_sentence_and_the_forest_keeps_its_top_pixels():
    result, _ = _run(load_builtin("digits"), params={"n_estimators": 30})
    importance = result.importance
    assert importance.permutation_mean is None
    assert any("Permutation importance is measured for tables" in note and "64 pixels" in note
               for note in importance.notes)
    assert len(importance.impurity) == len(importance.features) == 50 and importance.n_features == 64
    assert importance.impurity == sorted(importance.impurity, reverse=True)


def test_stop_between_features_keeps_the_measured_ones():
    x = np.random.default_rng(1).normal(size=(200, 4))
    y = (x[:, 0] > 0).astype(int)
    calls = []

    def predict(rows):
        calls.append(len(rows))
        return np.column_stack([rows[:, 0] <= 0, rows[:, 0] > 0]).astype(float)

    asked = iter([False, False, True])
    mean, std, baseline = permutation_importance(predict, x, y, "classification", seed=3,
                                                 should_stop=lambda: next(asked))
    assert baseline == 1.0
    assert mean[0] > 0.3 and mean[1] == 0.0 and np.isnan(mean[2:]).all()
    assert calls == [200, 1000, 1000]  # the five shuffles of a feature go to the model in one batch


def test_pca_explained_variance_matches_scikit_learn_on_the_same_training_rows():
    from sklearn.decomposition import PCA
    from sklearn.model_selection import train_test_split
    from sklearn.preprocessing import StandardScaler

    dataset = load_builtin("breast_cancer")
    result, _ = _run(dataset, "logistic_regression", pca_components=5, seed=11)
    frame = dataset.frame
    features = dataset.feature_columns(dataset.target)
    labels = frame[dataset.target].to_numpy()
    x_train, _, _, _ = train_test_split(frame[features], labels, test_size=0.2, random_state=11, stratify=labels)
    reference = PCA(n_components=5, random_state=11).fit(StandardScaler().fit_transform(x_train))
    assert result.pca_variance_ratio == pytest.approx(reference.explained_variance_ratio_.tolist(), rel=1e-4)
    assert result.importance.features == ["PC1", "PC2", "PC3", "PC4", "PC5"]
    figure = charts.pca_variance_figure(result.pca_variance_ratio)
    assert [trace.name for trace in figure.data] == [charts.COMPONENT_LABEL, charts.CUMULATIVE_LABEL]
    assert figure.data[1].y[-1] == pytest.approx(sum(reference.explained_variance_ratio_))


def test_importance_chart_shows_the_top_twenty_most_important_first_with_error_bars():
    from mllab.evaluation.importance import FeatureImportance

    names = [f"f{i}" for i in range(30)]
    importance = FeatureImportance(features=names, n_features=30, permutation_mean=[i / 100 for i in range(30)],
                                   permutation_std=[0.01] * 30)
    rows = top_features(importance, "permutation")
    figure = charts.importance_figure(rows, "permutation", "accuracy", importance.n_features)
    bars = figure.data[0]
    assert len(bars.y) == 20 and bars.y[0] == "f29" and bars.error_x.array[0] == 0.01
    assert "top 20 of 30" in figure.layout.title.text
    assert figure.layout.xaxis.title.text == "Drop in accuracy when the feature is shuffled"


def test_the_data_pages_pca_map_also_gives_the_first_twenty_components_for_a_scree_plot():
    from mllab.prepare import explore

    dataset = load_builtin("breast_cancer")
    features = dataset.feature_columns(dataset.target)
    projection = explore.pca_projection(dataset.frame, features, dataset.target)
    ratios = projection.variance_ratios
    assert len(ratios) == 20 and ratios[:2] == pytest.approx(projection.explained)
    assert list(ratios) == sorted(ratios, reverse=True) and 0.95 < sum(ratios) <= 1.0
    figure = charts.pca_variance_figure(ratios, "Variance explained by the first 20 principal components")
    assert list(figure.data[0].x) == [f"PC{i}" for i in range(1, 21)]
