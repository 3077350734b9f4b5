"""Every sentence a student reads, in Korean and English: one catalogue, looked up by key.

Checks, the terminal and HTML reports and the CLI call `t(key, **params)`; the language is
the one chosen with `use(lang)` (the CLI sets it from `--lang` or the locale), English when
nothing chose one. A test checks that every key has both languages and the same parameters.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from string import Formatter

LANGUAGES = ("en", "ko")
DEFAULT = "en"

_current: ContextVar[str] = ContextVar("grader_language", default=DEFAULT)

MESSAGES: dict[str, dict[str, str]] = {
    # ------------------------------------------------------------ engine and replies
    "reply.raised": {
        "en": "raised {error}",
        "ko": "실행 중 예외가 발생했습니다: {error}",
    },
    "reply.missing": {
        "en": "is not defined in the submission (was it renamed or deleted?)",
        "ko": "제출물에 정의되어 있지 않습니다 (이름을 바꾸거나 지우지 않았나요?)",
    },
    "lost.timeout": {
        "en": "timed out: no answer within {seconds} s (an infinite loop in {function}, or far too slow); "
              "the other checks were still graded",
        "ko": "시간 초과: {seconds}초 안에 답이 없습니다 ({function}의 무한 루프이거나 너무 느립니다). "
              "다른 검사는 그대로 채점되었습니다",
    },
    "lost.exited": {
        "en": "the submission's process ended while {function} was being checked ({detail})",
        "ko": "{function}을(를) 검사하는 중에 제출물의 프로세스가 종료되었습니다 ({detail})",
    },
    "lost.protocol": {
        "en": "the submission's process sent an unreadable answer ({detail}); this check cannot pass",
        "ko": "제출물의 프로세스가 읽을 수 없는 답을 보냈습니다 ({detail}). 이 검사는 통과할 수 없습니다",
    },
    "lost.no_detail": {"en": "no detail", "ko": "자세한 정보 없음"},
    "lost.unreadable": {
        "en": "the submission's answers could not be read ({kind}); this check cannot pass",
        "ko": "제출물의 답을 읽을 수 없습니다({kind}). 이 검사는 통과할 수 없습니다",
    },
    "value.returned_expected": {
        "en": "returned {got}; expected {expected}",
        "ko": "{got}을(를) 반환했습니다. 기대값은 {expected}입니다",
    },
    "value.not_a_number": {
        "en": "returned something that is not a number",
        "ko": "숫자가 아닌 값을 반환했습니다",
    },
    "value.none_number": {
        "en": "returned None instead of a number (is a `return` missing, or a value still None?)",
        "ko": "숫자 대신 None을 반환했습니다 (`return`이 빠졌거나 아직 None인 값이 있나요?)",
    },
    "value.none_array": {
        "en": "returned None instead of an array (is a `return` missing?)",
        "ko": "배열 대신 None을 반환했습니다 (`return`이 빠지지 않았나요?)",
    },
    "value.array_not_number": {
        "en": "returned an array of shape {shape} instead of a single number (did you forget to average over "
              "the samples?)",
        "ko": "하나의 숫자 대신 모양이 {shape}인 배열을 반환했습니다 (표본에 대한 평균을 빠뜨리지 않았나요?)",
    },
    "value.seq_not_number": {
        "en": "returned a {type} of {count} items instead of a single number",
        "ko": "하나의 숫자 대신 항목 {count}개짜리 {type}을(를) 반환했습니다",
    },
    "value.other_not_number": {
        "en": "returned {value} instead of a number",
        "ko": "숫자 대신 {value}을(를) 반환했습니다",
    },
    "value.not_numbers": {
        "en": "returned {value}, which is not an array of {size} numbers (is one of the entries still None?)",
        "ko": "{value}을(를) 반환했습니다. 숫자 {size}개로 된 배열이 아닙니다 (아직 None인 성분이 있나요?)",
    },
    "value.wrong_count": {
        "en": "returned {count} numbers; expected {size} numbers",
        "ko": "숫자 {count}개를 반환했습니다. 숫자 {size}개여야 합니다",
    },
    "value.nan": {
        "en": "returned NaN where a number was expected",
        "ko": "숫자가 나와야 할 곳에서 NaN을 반환했습니다",
    },
    "value.inf": {
        "en": "returned an infinite value where a finite number was expected",
        "ko": "유한한 숫자가 나와야 할 곳에서 무한대를 반환했습니다",
    },
    "value.not_two_numbers": {"en": "did not return two numbers", "ko": "두 개의 숫자를 반환하지 않았습니다"},
    # ------------------------------------------------------------ Loss
    "loss.at_checkpoint": {
        "en": "at the document's checkpoint {iteration}, {call} {problem}",
        "ko": "문서의 {iteration}번째 출력 지점에서 {call} {problem}",
    },
    "loss.fixed_inputs": {
        "en": "{call} {problem}",
        "ko": "{call} {problem}",
    },
    "loss.prop.negative": {
        "en": "{call} returned {got}, a negative number: an average of squares is never negative",
        "ko": "{call}이(가) 음수 {got}을(를) 반환했습니다. 제곱의 평균은 음수가 될 수 없습니다",
    },
    "loss.prop.zero": {
        "en": "{call} returned {got} although every prediction equals its target (f_x == y): the loss must be 0",
        "ko": "모든 예측값이 실제값과 같은데 (f_x == y) {call}이(가) {got}을(를) 반환했습니다. 손실은 0이어야 합니다",
    },
    "loss.prop.shift": {
        "en": "{call} returned {got}, but when every prediction is off by exactly c = {c} the loss is c² = {expected}",
        "ko": "{call}이(가) {got}을(를) 반환했지만, 모든 예측값이 정확히 c = {c}만큼 어긋나면 손실은 "
              "c² = {expected}이어야 합니다",
    },
    "loss.prop.concat": {
        "en": "the loss of two sets of samples together is the size-weighted mean of their losses: "
              "Loss on the {n1} + {n2} samples returned {got}; from the two parts ({l1} and {l2}) "
              "it should be {expected}",
        "ko": "두 표본 묶음을 합친 손실은 각 손실의 크기 가중 평균이어야 합니다: {n1} + {n2}개 표본에서 "
              "Loss는 {got}을(를) 반환했지만, 두 부분의 손실({l1}, {l2})로부터 {expected}이어야 합니다",
    },
    # ------------------------------------------------------------ gradient_descent
    "grad.at_iteration": {
        "en": "at iteration {iteration}, {call} {problem}",
        "ko": "{iteration}번째 반복에서 {call} {problem}",
    },
    "grad.document_path": {
        "en": "with your gradient_descent and the update w ← w − lr·gd, the weights leave the document's "
              "trajectory",
        "ko": "작성한 gradient_descent와 업데이트 w ← w − lr·gd로 계산한 가중치가 문서의 출력과 달라집니다",
    },
    "grad.prop.finite_difference": {
        "en": "{call} returned {got}, but the slope of your own (correct) Loss at these weights, measured "
              "numerically, is {expected}",
        "ko": "{call}이(가) {got}을(를) 반환했지만, 이 가중치에서 (올바르게 작성한) Loss의 기울기를 수치적으로 "
              "재어 보면 {expected}입니다",
    },
    "grad.prop.skipped": {
        "en": "(the comparison with the slope of your Loss was skipped: your Loss is not correct yet)",
        "ko": "(Loss가 아직 올바르지 않아 Loss의 기울기와의 비교는 건너뛰었습니다)",
    },
    # ------------------------------------------------------------ trajectory table
    "table.first_diverging": {
        "en": "first diverging checkpoint: iteration {iteration}: {mine}; the document prints {w0}, {w1}",
        "ko": "처음으로 달라지는 출력 지점: {iteration}번째: {mine}. 문서에는 {w0}, {w1}이(가) 출력되어 있습니다",
    },
    "table.first_diverging_expected": {
        "en": "first diverging checkpoint: iteration {iteration}: {mine}; expected {w0}, {w1}",
        "ko": "처음으로 달라지는 출력 지점: {iteration}번째: {mine}. 기대값은 {w0}, {w1}입니다",
    },
    "table.weights": {"en": "w0, w1 = {w0}, {w1}", "ko": "w0, w1 = {w0}, {w1}"},
    "table.not_reached": {"en": "not reached", "ko": "도달하지 못함"},
    "table.iteration": {"en": "iteration", "ko": "반복"},
    "table.yours": {"en": "your w0, w1", "ko": "내 w0, w1"},
    "table.document": {"en": "document's w0, w1", "ko": "문서의 w0, w1"},
    "table.expected": {"en": "expected w0, w1", "ko": "기대 w0, w1"},
    "table.marker": {"en": "← first difference", "ko": "← 처음 달라지는 곳"},
    # ------------------------------------------------------------ the update
    "update.main_problem": {"en": "main() {problem}", "ko": "main()이(가) {problem}"},
    "update.non_scalar": {
        "en": "w0 and w1 became arrays instead of numbers: update each weight with its own entry of gd "
              "(gd[0] for w0, gd[1] for w1)",
        "ko": "w0과 w1이 숫자가 아니라 배열이 되었습니다. 각 가중치는 gd의 해당 성분으로 업데이트하세요 "
              "(w0에는 gd[0], w1에는 gd[1])",
    },
    "update.calls": {
        "en": "main() called gradient_descent {calls} times; expected exactly once per iteration "
              "({iterations} times), and both weights updated from that one gradient",
        "ko": "main()이 gradient_descent를 {calls}번 호출했습니다. 반복마다 정확히 한 번씩 (총 {iterations}번) "
              "호출하고, 그 하나의 gradient로 두 가중치를 모두 업데이트해야 합니다",
    },
    "update.start": {
        "en": "the weights start at {start}; expected [0, 0]",
        "ko": "가중치가 {start}에서 시작합니다. [0, 0]에서 시작해야 합니다",
    },
    "update.step": {
        "en": "with gd = {gd}, update {step} took (w0, w1) from {before} to {after}; expected {expected} "
              "(w ← w − lr·gd with lr = {lr})",
        "ko": "gd = {gd}일 때 {step}번째 업데이트가 (w0, w1)을 {before}에서 {after}(으)로 바꿨습니다. "
              "기대값은 {expected}입니다 (w ← w − lr·gd, lr = {lr})",
    },
    "update.script_one": {
        "en": "main() with gradient_descent always returning {shown}",
        "ko": "gradient_descent가 항상 {shown}을(를) 반환할 때 main()",
    },
    "update.script_many": {
        "en": "main() with gradient_descent returning {shown} in turn",
        "ko": "gradient_descent가 {shown}을(를) 차례로 반환할 때 main()",
    },
    "update.counterexample": {"en": "{setting}: {problem}", "ko": "{setting}: {problem}"},
    # ------------------------------------------------------------ misconceptions
    "misconception.named": {
        "en": "This looks like a known mistake: {name}. Look again at {formula}.",
        "ko": "자주 하는 실수로 보입니다: {name}. 다시 확인할 곳: {formula}.",
    },
    "misconception.example": {"en": "For example: {example}", "ko": "예: {example}"},
    "misconception.label": {"en": "mistake", "ko": "실수"},
    # ------------------------------------------------------------ reports
    "report.self_check": {"en": "self-check", "ko": "자가 점검"},
    "report.self_check_note": {
        "en": "This is a self-check: it checks your code without the reference solution. "
              "The official grade may run more checks.",
        "ko": "자가 점검 결과입니다: 정답 코드 없이 작성한 코드를 점검합니다. "
              "공식 채점에서는 더 많은 검사를 할 수 있습니다.",
    },
    "report.error": {"en": "error", "ko": "오류"},
    "report.notes": {"en": "notes", "ko": "참고"},
    "report.isolation": {"en": "isolation", "ko": "격리"},
    "report.inputs": {"en": "{count} inputs", "ko": "입력 {count}개"},
    "report.score": {"en": "score", "ko": "점수"},
    "report.feedback": {"en": "feedback", "ko": "피드백"},
    "report.counterexample": {"en": "counterexample", "ko": "반례"},
    "report.all_passed": {"en": "All checks passed.", "ko": "모든 검사를 통과했습니다."},
    "report.correct": {"en": "correct", "ko": "정답"},
    "report.not_yet": {"en": "not yet correct", "ko": "아직 정답이 아님"},
    "report.reproducible": {
        "en": "reproducible with: grader {grader}, spec sha256 {spec}, Hypothesis {hypothesis} (seed {seed}), "
              "numpy {numpy}, Python {python}, isolation {isolation}",
        "ko": "재현 정보: grader {grader}, spec sha256 {spec}, Hypothesis {hypothesis} (seed {seed}), "
              "numpy {numpy}, Python {python}, 격리 방식 {isolation}",
    },
    "status.passed": {"en": "passed", "ko": "통과"},
    "status.failed": {"en": "failed", "ko": "실패"},
    "status.error": {"en": "error", "ko": "오류"},
    "status.timeout": {"en": "timed out", "ko": "시간 초과"},
    # ------------------------------------------------------------ command line and notebook
    "cli.no_such_file": {"en": "{path}: no such file", "ko": "{path}: 파일이 없습니다"},
    "cli.no_reference": {
        "en": "this copy has no reference solution, so it cannot grade officially; use --self-check",
        "ko": "이 사본에는 정답 코드가 없어 공식 채점을 할 수 없습니다. --self-check를 사용하세요",
    },
    "cli.prefix": {"en": "grade: {message}", "ko": "grade: {message}"},
    "notebook.nothing": {
        "en": "No code to check yet: run the cells that define Loss, gradient_descent and main first.",
        "ko": "아직 점검할 코드가 없습니다. 먼저 Loss, gradient_descent, main을 정의한 셀을 실행하세요.",
    },
    # ------------------------------------------------------------ titles of the linreg exercise
    "part.Loss": {"en": "1. Loss(f_x, y): the mean squared error", "ko": "1. Loss(f_x, y): 평균 제곱 오차 (MSE)"},
    "part.gradient_descent": {
        "en": "2. gradient_descent(w0, w1, X, y): the gradient of the MSE",
        "ko": "2. gradient_descent(w0, w1, X, y): MSE의 gradient",
    },
    "part.update": {"en": "3. The weight update in main()", "ko": "3. main()의 가중치 업데이트"},
    "title.loss-trajectory": {
        "en": "Loss at the document's ten checkpoints",
        "ko": "문서의 10개 출력 지점에서의 Loss",
    },
    "title.loss-property": {
        "en": "Loss on generated inputs (Hypothesis, against the reference)",
        "ko": "생성된 입력에서의 Loss (Hypothesis, 정답과 비교)",
    },
    "title.gradient-trajectory": {
        "en": "the document's trajectory with your gradient_descent",
        "ko": "작성한 gradient_descent로 재현한 문서의 학습 과정",
    },
    "title.gradient-property": {
        "en": "gradient_descent on generated inputs (Hypothesis, against the reference)",
        "ko": "생성된 입력에서의 gradient_descent (Hypothesis, 정답과 비교)",
    },
    "title.update-trajectory": {
        "en": "main() reproduces the document's trajectory",
        "ko": "main()이 문서의 학습 과정을 재현하는지",
    },
    "title.update-property": {
        "en": "every update step on generated gradients (Hypothesis)",
        "ko": "생성된 gradient에서의 모든 업데이트 단계 (Hypothesis)",
    },
    "title.self-loss-trajectory": {
        "en": "Loss at the document's ten checkpoints",
        "ko": "문서의 10개 출력 지점에서의 Loss",
    },
    "title.self-loss-values": {
        "en": "Loss on fixed inputs and its properties (≥ 0, zero when f_x == y, shift by c gives c², "
              "weighted mean of two sets)",
        "ko": "고정 입력에서의 Loss와 성질 (≥ 0, f_x == y이면 0, c만큼 이동하면 c², 두 묶음의 가중 평균)",
    },
    "title.self-gradient-trajectory": {
        "en": "the document's trajectory with your gradient_descent",
        "ko": "작성한 gradient_descent로 재현한 문서의 학습 과정",
    },
    "title.self-gradient-values": {
        "en": "gradient_descent on fixed inputs, and against the slope of your own Loss",
        "ko": "고정 입력에서의 gradient_descent, 그리고 작성한 Loss의 기울기와의 비교",
    },
    "title.self-update-run": {
        "en": "main() over all 1000 iterations with fixed gradients",
        "ko": "고정된 gradient로 1000번 반복하는 main()",
    },
    "title.self-update-property": {
        "en": "every update step on generated gradients (Hypothesis)",
        "ko": "생성된 gradient에서의 모든 업데이트 단계 (Hypothesis)",
    },
}


def normalize(lang: str | None) -> str:
    """'ko', 'ko_KR.UTF-8', 'KO' -> 'ko'; anything that is not a supported language -> English."""
    code = (lang or "").strip().lower().replace("-", "_").split("_")[0].split(".")[0]
    return code if code in LANGUAGES else DEFAULT


def default_language(environ: Mapping[str, str] | None = None) -> str:
    """From the locale (LC_ALL, LC_MESSAGES, LANG, in that order): Korean for ko_*, else English."""
    env = os.environ if environ is None else environ
    for name in ("LC_ALL", "LC_MESSAGES", "LANG"):
        value = env.get(name)
        if value:
            return normalize(value)
    return DEFAULT


def current() -> str:
    return _current.get()


@contextmanager
def use(lang: str | None) -> Iterator[str]:
    """Within this block, t() speaks `lang` (normalized)."""
    token = _current.set(normalize(lang))
    try:
        yield _current.get()
    finally:
        _current.reset(token)


def t(key: str, lang: str | None = None, **params: object) -> str:
    """The message `key` in `lang` (default: the current language), with its {placeholders} filled."""
    entry = MESSAGES[key]
    text = entry.get(normalize(lang) if lang else current()) or entry[DEFAULT]
    return text.format(**params) if params else text


def title(key: str, fallback: str, lang: str | None = None) -> str:
    """The spec's title in English; in another language the catalogue's (`part.<name>`, `title.<check id>`)."""
    lang = normalize(lang) if lang else current()
    return t(key, lang) if lang != DEFAULT and key in MESSAGES else fallback


def placeholders(text: str) -> set[str]:
    return {name for _, name, _, _ in Formatter().parse(text) if name}
