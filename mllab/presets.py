"""The classic workflows, as data: each step sets the dataset, task, model, hyperparameters,
preprocessing and validation of a lecture's example in one click.

A step only names what differs from the defaults; `full_settings` fills in the rest, so applying a
step also undoes whatever the class changed before. The figures in `expect` were measured with
the settings below (bench/presets_check.py prints them again); tests/test_presets.py checks that
every step is valid for its family and data, and asserts the headline figures of the main ones.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from mllab.models import FAMILIES
from mllab.params import defaults
from mllab.prepare import PREPROCESSING_SCHEMA
from mllab.training import VALIDATION_SCHEMA


@dataclass(frozen=True)
class SearchPlan:
    """What a step's hyperparameter search varies: options for choices, (low, high, count) for numbers."""

    vary: dict[str, Any]
    strategy: str = "grid"
    validation: dict[str, Any] = field(default_factory=dict)  # how each candidate is scored
    metric: str = "accuracy"


@dataclass(frozen=True)
class Step:
    key: str
    title: str  # the button's words
    lesson: str  # what to watch for, shown on the page the step opens
    expect: str  # the figure a class should see, measured
    family: str
    params: dict[str, Any] = field(default_factory=dict)
    preprocessing: dict[str, Any] = field(default_factory=dict)
    validation: dict[str, Any] = field(default_factory=dict)
    search: SearchPlan | None = None  # set: the step opens the Search page instead of the Train page
    keep_model: bool = True  # keep the trained model, to download and to predict with (hold-out steps)
    # Set: the step opens the Train page and trains every family that fits the data there, side by side
    # (mllab.training.family_comparison); `family` is then the one the Train page shows afterwards.
    compare: bool = False
    # The lesson and figure when the step runs on other loaded data (a workflow's `also_fits`, such as
    # MNIST uploaded as IDX files): `lesson` and `expect` speak of the built-in dataset. Empty: the same.
    lesson_elsewhere: str = ""
    expect_elsewhere: str = ""

    def lesson_on(self, builtin: bool) -> tuple[str, str]:
        """(lesson, expected figure) for the built-in dataset, or for other loaded data."""
        if builtin or not self.lesson_elsewhere:
            return self.lesson, self.expect
        return self.lesson_elsewhere, self.expect_elsewhere or self.expect


@dataclass(frozen=True)
class Workflow:
    key: str
    title: str
    story: str
    dataset: str  # a built-in dataset key (mllab.datasets.BUILTIN_DATASETS)
    target: str
    task: str
    steps: tuple[Step, ...]
    redshift: bool = False
    # A data kind ("image") whose loaded datasets the steps also suit, such as MNIST uploaded as IDX files.
    also_fits: str | None = None


# The Keras "first neural network" tutorial on the Pima Indians diabetes data: 12-8-1, uniform
# initial weights, relu, a sigmoid output, Adam, 150 epochs in batches of 10.
PIMA_MLP = {"hidden_layers": (12, 8), "activation": "relu", "initialiser": "random_uniform", "optimiser": "adam",
            "learning_rate": 0.001, "epochs": 150, "batch_size": 10}

# 784-128-10 with a softmax output and plain SGD (no momentum) at Keras's own "sgd" rate of 0.01, as
# the tutorial trains it, batches of 128 for 20 epochs; the second step tries ten times that rate.
SGD_MLP = {"hidden_layers": (128,), "activation": "relu", "initialiser": "glorot_uniform", "optimiser": "sgd",
           "learning_rate": 0.01, "momentum": 0.0, "nesterov": False, "epochs": 20, "batch_size": 128,
           "validation_split": 0.1}

# SGD with momentum and an annealed learning rate: the course-notes recipe for linear classifiers
# and small nets on images.
ANNEALED_SGD = {"optimiser": "sgd", "learning_rate": 0.01, "momentum": 0.9, "nesterov": False,
                "lr_schedule": "exponential", "lr_decay_rate": 0.9, "epochs": 30, "batch_size": 64,
                "validation_split": 0.2}

WORKFLOWS: tuple[Workflow, ...] = (
    Workflow(
        key="pima",
        title="Pima diabetes: a first neural network (12-8-1)",
        story="The Keras tutorial's first network: 8 medical measurements in, 12 and 8 relu units, one sigmoid "
              "unit out (the chance of diabetes), Adam, 150 epochs in batches of 10. Train it once on a 20 % "
              "hold-out, then see how much that one figure depends on the split with stratified 10-fold "
              "cross-validation, then search optimiser × initialiser × epochs × batch size.",
        dataset="pima", target="Outcome", task="classification",
        steps=(
            Step("holdout", "Train on a 20 % hold-out",
                 "One split, one score: the test accuracy lands around 0.73–0.78 depending on the seed. "
                 "The loss curve flattens after about 50 epochs.",
                 "Test accuracy about 0.73 (seed 42; 0.71–0.76 over seeds).", "mlp", PIMA_MLP),
            Step("kfold", "Stratified 10-fold cross-validation",
                 "Ten models, each tested on a different tenth of the patients: the mean is the honest figure, "
                 "the ± shows how much a single hold-out score could have varied. Takes about a minute.",
                 "Mean accuracy about 0.77 ± 0.05.", "mlp", PIMA_MLP,
                 validation={"scheme": "stratified_kfold", "n_folds": 10}),
            Step("grid", "Grid search: optimiser × initialiser × epochs × batch",
                 "16 candidates, each scored by stratified 3-fold cross-validation (a few minutes); the table "
                 "sorts by mean accuracy. Differences smaller than the ± are noise.",
                 "The best candidates score about 0.75–0.77.", "mlp", {**PIMA_MLP, "epochs": 50},
                 search=SearchPlan(
                     vary={"optimiser": ["adam", "rmsprop"], "initialiser": ["random_uniform", "glorot_uniform"],
                           "epochs": (20, 40, 2), "batch_size": (10, 20, 2)},
                     validation={"scheme": "stratified_kfold", "n_folds": 3})),
        ),
    ),
    Workflow(
        key="sgd-mlp",
        title="Images: a 784-128-10 softmax network trained by plain SGD",
        story="Every 28 × 28 image becomes 784 numbers, one hidden layer of 128 relu units, ten softmax "
              "outputs. Plain stochastic gradient descent at a learning rate of 0.01, batches of 128, 20 "
              "epochs. Then open one test image to see its ten probabilities, and the confusion matrix to see which classes are confused. "
              "Built in: Fashion-MNIST. Load MNIST from its IDX or .npz files on the Data page and the step "
              "offers itself for that data too (the tutorial reports 92.6 % on MNIST). A second step shows what "
              "a ten times larger learning rate changes.",
        dataset="fashion_mnist", target="article", task="classification", also_fits="image",
        steps=(
            Step("train", "Train 784-128-10 with SGD",
                 "The tutorial's settings: plain SGD at a learning rate of 0.01. On these 10,000 clothing images "
                 "the training and validation losses fall together, and at epoch 20 the validation loss is "
                 "still falling: the network has not finished learning. Shirts, pullovers and coats are the "
                 "classes it confuses.",
                 "Test accuracy about 0.83 on the built-in Fashion-MNIST.", "mlp", SGD_MLP,
                 lesson_elsewhere="The tutorial's settings: plain SGD at a learning rate of 0.01, 20 epochs. "
                                  "Watch whether the validation loss is still falling at the last epoch, and "
                                  "open the confusion matrix to see which classes it mixes up.",
                 expect_elsewhere="On MNIST's digits the tutorial reports a test accuracy of about 0.926."),
            Step("fast", "Ten times the learning rate (0.1)",
                 "The same network with steps ten times larger. It learns faster: the validation loss is at its "
                 "lowest around epoch 13, then wobbles upward while the training loss goes on falling, the "
                 "first sign of overfitting. Compare the two runs' curves on the Runs page.",
                 "Test accuracy about 0.86 on the built-in Fashion-MNIST; lowest validation loss near epoch 13.",
                 "mlp", {**SGD_MLP, "learning_rate": 0.1},
                 lesson_elsewhere="The same network with steps ten times larger: compare how fast the losses "
                                  "fall with the first step's run, and whether the validation loss turns upward "
                                  "while the training loss goes on falling (on MNIST it does, from about epoch 8).",
                 expect_elsewhere="On MNIST's digits a test accuracy of about 0.97."),
        ),
    ),
    Workflow(
        key="annealed-sgd",
        title="Images: logistic regression and a small network, SGD with momentum and annealing",
        story="The same optimiser for both: SGD with momentum 0.9 and a learning rate that shrinks by 10 % "
              "every epoch. A softmax (logistic) regression has no hidden layer; the small network adds one of "
              "100 units. Compare their training and validation curves: the network fits better, and its "
              "curves start to part.",
        dataset="fashion_mnist", target="article", task="classification", also_fits="image",
        steps=(
            Step("logistic", "Softmax regression (no hidden layer)",
                 "A linear model: the validation curve follows the training curve closely, and both level off "
                 "early. The annealing makes the last epochs' steps small, so the curves settle.",
                 "Test accuracy about 0.82.", "mlp",
                 {**ANNEALED_SGD, "hidden_layers": ()}, preprocessing={"scaling": "minmax"}),
            Step("small-net", "Small network (one hidden layer of 100)",
                 "More capacity: training accuracy climbs above validation accuracy. That gap is the start of "
                 "over-fitting; dropout or L2 (in the hyperparameters) narrow it.",
                 "Test accuracy about 0.84.", "mlp",
                 {**ANNEALED_SGD, "hidden_layers": (100,), "activation": "relu", "initialiser": "he_normal"},
                 preprocessing={"scaling": "minmax"}),
        ),
    ),
    Workflow(
        key="forest",
        title="Breast cancer: a random forest with imputation, scaling, PCA, cross-validation, a grid search "
              "and a saved model",
        story="The scikit-learn pipeline workflow on the Wisconsin breast-cancer measurements: missing values "
              "filled with the median (this copy has none; uploaded data often does), features standardised, a "
              "random forest; its feature importances and the fitted pipeline saved to a file; the "
              "same pipeline with PCA down to 10 components under stratified 5-fold cross-validation; then a "
              "grid search over the number of trees and the depth.",
        dataset="breast_cancer", target="diagnosis", task="classification",
        steps=(
            Step("train", "Forest on all 30 features, saved",
                 "Forests need no scaling but do no harm with it. Open the feature importances: the worst "
                 "(largest) cell measurements carry most of the decision. Under 'Model & settings' the fitted "
                 "pipeline downloads as a zip (skops files and a README on loading them).",
                 "Test accuracy about 0.96, ROC AUC about 0.99.", "random_forest",
                 {"n_estimators": 200}, preprocessing={"imputation": "median", "scaling": "standard"},
                 keep_model=True),
            Step("pca-cv", "Scaling + PCA (10 components), stratified 5-fold",
                 "Ten principal components keep almost all the variance of 30 correlated measurements; the "
                 "5-fold mean ± std says whether the smaller inputs cost any accuracy.",
                 "Mean accuracy about 0.95 ± 0.02.", "random_forest", {"n_estimators": 200},
                 preprocessing={"imputation": "median", "scaling": "standard", "pca_components": 10},
                 validation={"scheme": "stratified_kfold", "n_folds": 5}),
            Step("grid", "Grid search: trees × depth",
                 "Nine candidates by stratified 5-fold: beyond a hundred trees and a depth of about 8 the "
                 "scores differ by less than their spread.",
                 "The best candidates score about 0.96.", "random_forest", {"n_estimators": 100},
                 preprocessing={"imputation": "median", "scaling": "standard"},
                 search=SearchPlan(vary={"n_estimators": (50, 200, 3), "max_depth": (4, 12, 3)},
                                   validation={"scheme": "stratified_kfold", "n_folds": 5})),
        ),
    ),
    Workflow(
        key="spectra-cnn",
        title="Stellar spectra: a 1-D convolutional network",
        story="Conv1D layers slide along the wavelength axis and learn absorption-line shapes; max pooling "
              "halves the resolution after each, dropout fights over-fitting. Look at the layer table (output "
              "shapes and parameters, as Keras's summary() prints them) before training, then at the "
              "history curves. The spectra are simulated, labelled as such.",
        dataset="stellar_spectra_simulated", target="spectral_type", task="classification",
        steps=(
            Step("train", "Train the Conv1D network",
                 "The validation curve should follow the training curve; if it stalls while training keeps "
                 "improving, raise the dropout.",
                 "Test accuracy about 0.94.", "cnn",
                 {"conv_blocks": 2, "filters": 16, "kernel_size": 7, "pooling": "max", "dense_units": 64,
                  "dropout": 0.25, "optimiser": "adam", "learning_rate": 0.001, "epochs": 20, "batch_size": 32,
                  "validation_split": 0.1}),
        ),
    ),
    Workflow(
        key="deep-learning",
        title="The deep-learning workflow: over-fitting, regularisation, augmentation, the right output layer",
        story="Make a network over-fit on purpose, then fight it with dropout and L2, then with data "
              "augmentation in a convolutional network. The output layer follows the problem: one sigmoid "
              "unit with binary cross-entropy for two classes (the Pima workflow), softmax with categorical "
              "cross-entropy for several (here), one linear unit with mean squared error for a number (the "
              "photometric-redshift workflow's network).",
        dataset="fashion_mnist", target="article", task="classification",
        steps=(
            Step("overfit", "Over-fit: 256-256, no regularisation",
                 "The training loss keeps falling while the validation loss turns up after a few epochs: the "
                 "network is memorising the training images. Early stopping would end the run at the bottom "
                 "of the validation curve.",
                 "Validation loss lowest near epoch 3, then more than doubles; test accuracy about 0.84.", "mlp",
                 {"hidden_layers": (256, 256), "initialiser": "glorot_uniform", "optimiser": "adam",
                  "learning_rate": 0.001, "epochs": 30, "batch_size": 64, "validation_split": 0.2}),
            Step("regularised", "Same network with dropout 0.5 and L2",
                 "Dropout switches half the units off at random and L2 keeps weights small: the two loss curves "
                 "stay together for longer, and the test accuracy holds or improves.",
                 "Validation loss keeps falling to about epoch 20; test accuracy about 0.86.", "mlp",
                 {"hidden_layers": (256, 256), "initialiser": "glorot_uniform", "optimiser": "adam",
                  "learning_rate": 0.001, "epochs": 30, "batch_size": 64, "validation_split": 0.2,
                  "dropout": 0.5, "l2": 0.0005}),
            Step("augmented", "CNN with data augmentation",
                 "Random shifts, zooms and left–right flips show the network a slightly different image each "
                 "epoch: the validation curve stays at or above the training curve.",
                 "Test accuracy about 0.86.", "cnn",
                 {"conv_blocks": 2, "filters": 32, "dense_units": 64, "dropout": 0.25,
                  "augment_flip": "horizontal", "augment_shift": 0.1, "augment_zoom": 0.1,
                  "epochs": 15, "batch_size": 64, "validation_split": 0.1}),
        ),
    ),
    Workflow(
        key="photo-z",
        title="SDSS galaxies: photometric redshifts with a random forest",
        story="Predict each galaxy's spectroscopic redshift from its five-band photometry: a regression. The "
              "astronomers' figures are the scatter of Δz/(1+z), its NMAD and the share of outliers with "
              "|Δz|/(1+z) > 0.15.",
        dataset="sdss_mgs", target="redshift", task="regression", redshift=True,
        steps=(
            Step("train", "Random-forest regression",
                 "The predicted-vs-true plot hugs the diagonal; the residuals widen at the highest redshifts, "
                 "where galaxies are faint and rare.",
                 "NMAD about 0.0135, R² about 0.85.", "random_forest", {"n_estimators": 200}),
            Step("kfold", "Forest, iterated K-fold with shuffling (3 folds × 2)",
                 "Each galaxy is predicted by a forest that never saw it, twice over with a fresh shuffle: the "
                 "per-fold NMAD spread says how much one hold-out figure could move; the pooled out-of-fold "
                 "plots cover every galaxy.",
                 "Out-of-fold NMAD about 0.0136, R² about 0.85.", "random_forest", {"n_estimators": 100},
                 validation={"scheme": "repeated_kfold", "n_folds": 3, "n_repeats": 2}),
            Step("mlp", "Neural network: one linear output, MSE",
                 "For a number the output layer is a single linear unit trained on the mean squared error (no "
                 "sigmoid, no softmax). Early stopping watches the validation loss and restores the best epoch.",
                 "NMAD about 0.013, R² about 0.86.", "mlp",
                 {"hidden_layers": (64, 32), "activation": "relu", "initialiser": "he_normal", "optimiser": "adam",
                  "learning_rate": 0.001, "epochs": 60, "batch_size": 64, "validation_split": 0.2,
                  "early_stopping": True, "patience": 10, "restore_best": True}),
        ),
    ),
    Workflow(
        key="lecture-classifiers",
        title="The lecture's classifiers, side by side on variable stars",
        story="Every classifier of the lecture, in the slide's order (logistic regression, k-nearest neighbours, "
              "SVM, naive Bayes, decision tree, random forest, gradient boosting, the MLP; those mllab offers), "
              "each with the starting settings that suit the data, trained at once on the same split of the "
              "OGLE-III variable stars (period, magnitudes, colour and amplitude; eight types). One table ranks them "
              "against the baseline; one map per model shows how each carves up the first two principal "
              "components: straight lines for the linear models, boxes for the trees, smooth curves for the MLP.",
        dataset="ogle3", target="Type", task="classification",
        steps=(
            Step("compare", "Compare the lecture's classifiers",
                 "Read the table first: accuracy beside balanced accuracy and macro F1, since the rare types "
                 "(18 R CrB stars) hardly move the accuracy. Then the maps: where the models agree, and where "
                 "the linear ones cannot follow the classes. Open any row as an ordinary run.",
                 "The forest and gradient boosting first (accuracy about 0.98, macro F1 about 0.88), then "
                 "k-nearest neighbours (0.97) and the SVM (0.97, but macro F1 0.72: it misses the rare types); "
                 "the MLP, logistic regression, the depth-4 tree and naive Bayes about 0.94, 0.93, 0.92 and 0.91; "
                 "the baseline, always one of the four commonest types, about 0.23.",
                 "random_forest", compare=True, keep_model=False),
        ),
    ),
)

WORKFLOWS_BY_KEY = {w.key: w for w in WORKFLOWS}


def find_step(workflow_key: str, step_key: str) -> tuple[Workflow, Step]:
    workflow = WORKFLOWS_BY_KEY[workflow_key]
    return workflow, next(s for s in workflow.steps if s.key == step_key)


def full_settings(step: Step) -> dict[str, dict[str, Any]]:
    """Every setting of the step, defaults filled in: hyperparameters, preprocessing, validation."""
    family = FAMILIES[step.family]
    return {"params": {**family.defaults(), **step.params},
            "preprocessing": {**defaults(PREPROCESSING_SCHEMA), **step.preprocessing},
            "validation": {**defaults(VALIDATION_SCHEMA), **step.validation}}


@dataclass
class WorkflowData:
    """A workflow's dataset as the Data page would leave it: loaded, markers found, default cleaning applied."""

    raw: object  # mllab.datasets.Dataset as loaded
    markers: list
    choices: object  # mllab.prepare.CleaningChoices
    cleaned: object  # mllab.prepare.CleaningResult; .dataset is what trains


def load_workflow_data(workflow: Workflow) -> WorkflowData:
    """Load the workflow's built-in dataset and clean it with the Data page's defaults."""
    from mllab.datasets import load_builtin

    return clean_with_defaults(load_builtin(workflow.dataset), workflow.target)


def clean_with_defaults(raw, target: str) -> WorkflowData:
    """A dataset cleaned as the Data page does before the user changes anything."""
    from mllab.prepare import apply_cleaning, default_choices, find_missing_markers, structural_columns

    # Pixels are counts from 0 to 255, never markers (the Data page skips them the same way).
    skip = set(structural_columns(raw)) if raw.kind == "image" else set()
    markers = find_missing_markers(raw.frame, [c for c in raw.frame.columns if c not in skip])
    choices = default_choices(raw, target, markers)
    return WorkflowData(raw=raw, markers=markers, choices=choices, cleaned=apply_cleaning(raw, choices))


def training_spec(workflow: Workflow, step: Step, dataset, target: str | None = None):
    """The TrainingSpec a step's Train button would submit on `dataset` (validated)."""
    from mllab.prepare import PreprocessConfig
    from mllab.training import TrainingSpec, validate_spec
    from mllab.training import ValidationConfig

    settings = full_settings(step)
    return validate_spec(TrainingSpec(
        dataset=dataset, target=target or workflow.target, family=step.family, params=settings["params"],
        preprocessing=PreprocessConfig.from_values(settings["preprocessing"]),
        validation=ValidationConfig.from_values(settings["validation"]), task=workflow.task,
        redshift=workflow.redshift, keep_model=step.keep_model))
