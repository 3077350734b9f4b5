"""Every fixture with exactly one catalogued mistake gets feedback naming it, in Korean and English;
the fixture mistakes that are not in the catalogue get a counterexample instead."""

from __future__ import annotations

import pytest

from grader.messages import LANGUAGES, use
from grader.pipeline import Assignment, grade_path
from grader.sandbox.client import Sandbox
from grader.spec import MistakeSpec, load_spec

from .conftest import FIXTURES, SPEC_PATH
from .outcomes import assert_named, outcome


class Catalogue:
    """The exercise's typical mistakes, as its spec declares them."""

    def __init__(self) -> None:
        self.parts = {part.name: part for part in load_spec(SPEC_PATH).parts}

    def of(self, part: str) -> tuple[MistakeSpec, ...]:
        return self.parts[part].mistakes

    def find(self, part: str, ident: str) -> MistakeSpec | None:
        return next((m for m in self.of(part) if m.id == ident), None)

    def hint(self, part: str, ident: str, lang: str) -> str:
        entry = self.find(part, ident)
        assert entry is not None
        hint = entry.hint or self.parts[part].hint
        assert hint is not None
        return hint.get(lang)


CATALOGUE = Catalogue()

# fixture mistake -> catalogue id (None: not in the catalogue, so a counterexample is expected)
NAMED: dict[str, str | None] = {
    "fail-Loss__absolute_error.py": "absolute_error",
    "fail-Loss__divided_by_n_minus_1.py": "divided_by_n_minus_1",
    "fail-Loss__flipped_operand_no_square.py": "no_square",
    "fail-Loss__half_mse.py": "half_mse",
    "fail-Loss__no_square.py": "no_square",
    "fail-Loss__per_element_array.py": "per_element_array",
    "fail-Loss__raises.py": None,
    "fail-Loss__root_of_mean.py": "root_of_mean",
    "fail-Loss__square_of_mean_error.py": "square_of_mean_error",
    "fail-Loss__sum_instead_of_mean.py": "sum_instead_of_mean",
    "fail-gradient_descent__flipped_sign.py": "flipped_sign",
    "fail-gradient_descent__missing_factor_2.py": "missing_factor_2",
    "fail-gradient_descent__missing_minus_one_in_w0.py": "missing_minus_one_in_w0",
    "fail-gradient_descent__missing_x.py": "missing_x",
    "fail-gradient_descent__prediction_without_w0.py": None,
    "fail-gradient_descent__sum_instead_of_mean.py": "sum_instead_of_mean",
    "fail-gradient_descent__swapped_entries.py": "swapped_entries",
    "fail-gradient_descent__y_instead_of_x.py": "y_instead_of_x",
    "fail-update__changed_iterations.py": "changed_iterations",
    "fail-update__changed_lr.py": "changed_lr",
    "fail-update__gradient_outside_loop.py": "gradient_outside_loop",
    "fail-update__no_lr.py": "no_lr",
    "fail-update__notebook_plus_sign.ipynb": "plus_instead_of_minus",
    "fail-update__only_w0_updated.py": "only_w0_updated",
    "fail-update__plus_instead_of_minus.py": "plus_instead_of_minus",
    "fail-update__recompute_gradient_between_updates.py": "recompute_gradient_between_updates",
    "fail-update__update_only_on_print_iterations.py": "update_only_on_print_iterations",
    "fail-update__wrong_gradient_entry.py": "wrong_gradient_entry",
    "fail-Loss__float32.py": None,
    "fail-Loss__notebook_raises.ipynb": None,
    "fail-update__float32_data.py": None,
    "fail-update__float32_weights.py": None,
    "fail-update__gradient_called_with_prediction_as_y.py": None,
    "fail-update__gradient_called_with_x_and_y_swapped.py": None,
    "fail-update__gradient_called_with_x_as_y.py": None,
    "fail-update__gradient_called_with_y_twice.py": None,
    "fail-update__inline_gradient.py": None,
    "fail-update__loop_runs_2000_times.py": "changed_iterations",
    "fail-update__memorised_printed_trajectory.py": None,
    "fail-update__mistyped_data.py": None,
    "fail-update__return_inside_loop.py": "return_inside_loop",
    "fail-update__x_reshaped_to_a_row.py": None,
    "fail-update__y_flattened.py": None,
    "fail-update__notebook_float32_weights.ipynb": None,
    "fail-update__notebook_gradient_called_with_x_as_y.ipynb": None,
    "fail-update__notebook_inline_gradient.ipynb": None,
    "fail-update__notebook_loop_runs_2000_times.ipynb": "changed_iterations",
    "fail-update__notebook_return_inside_loop.ipynb": "return_inside_loop",
    "fail-update__notebook_update_only_on_print_iterations.ipynb": "update_only_on_print_iterations",
}

# The mistakes the exercise's issue asks the catalogue to know, per part.
REQUIRED = {
    "Loss": {"sum_instead_of_mean", "absolute_error", "no_square", "root_of_mean", "half_mse",
             "square_of_mean_error", "per_element_array"},
    "gradient_descent": {"missing_factor_2", "flipped_sign", "missing_x", "y_instead_of_x", "swapped_entries",
                         "sum_instead_of_mean"},
    "update": {"plus_instead_of_minus", "no_lr", "wrong_gradient_entry", "recompute_gradient_between_updates",
               "changed_lr", "changed_iterations", "update_only_on_print_iterations", "return_inside_loop"},
}


def test_every_fail_fixture_is_mapped() -> None:
    fails = {p.name for p in FIXTURES.iterdir() if p.name.startswith("fail-")}
    assert fails == set(NAMED)


def test_the_catalogue_knows_the_typical_mistakes() -> None:
    for part, ids in REQUIRED.items():
        assert ids <= {m.id for m in CATALOGUE.of(part)}, part
    for name, ident in NAMED.items():
        part = outcome(name)[1]
        assert part is not None
        assert ident is None or CATALOGUE.find(part, ident) is not None, name


@pytest.mark.parametrize("lang", LANGUAGES)
@pytest.mark.parametrize("name", sorted(NAMED))
def test_official_feedback_names_the_mistake(name: str, lang: str, assignment: Assignment,
                                             sandbox: Sandbox) -> None:
    path = FIXTURES / name
    with use(lang):
        result = grade_path(path, assignment, sandbox)
    part = outcome(path)[1]
    assert part is not None
    assert_named(result, part, NAMED[name], assignment.spec, lang)


def test_counts_of_named_and_counterexample_fixtures() -> None:
    named = [n for n, ident in NAMED.items() if ident is not None]
    fallback = [n for n, ident in NAMED.items() if ident is None]
    assert (len(named), len(fallback)) == (31, 18)
