"""Every sentence a student reads, in Korean and English: one catalogue, looked up by key.

Checks, the terminal and HTML reports and the CLI call `t(key, **params)`; the language is
the one chosen with `use(lang)` (the CLI sets it from `--lang` or the locale), English when
nothing chose one. A test checks that every key has both languages and the same parameters.
The words of an exercise (its titles, its mistakes, its hints) live in its spec, not here.
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
    "load.never_defined": {
        "en": "{function} was never defined: the file's top-level code stopped before it ({where}; see the error)",
        "ko": "{function}이(가) 정의되지 않았습니다: 파일의 최상위 코드가 그 전에 멈췄습니다 ({where}; 오류 참고)",
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
    "budget.spent": {
        "en": "not graded: the submission used up its time budget ({seconds} s for loading, restarts and "
              "every check together) before this check could finish",
        "ko": "채점되지 않음: 이 검사가 끝나기 전에 제출물이 전체 시간 예산({seconds}초: 로딩, 재시작, "
              "모든 검사 합계)을 모두 사용했습니다",
    },
    "lost.unreadable": {
        "en": "the grader could not read what your code gave back in this check ({kind}); this check cannot pass",
        "ko": "이 검사에서 코드가 돌려준 결과를 채점기가 읽을 수 없습니다({kind}). 이 검사는 통과할 수 없습니다",
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
    "value.wrong_shape": {
        "en": "returned an array of shape {shape}; expected shape {expected}",
        "ko": "모양이 {shape}인 배열을 반환했습니다. 모양은 {expected}이어야 합니다",
    },
    "value.not_a_tuple": {
        "en": "returned {value}; expected a tuple of {count} values",
        "ko": "{value}을(를) 반환했습니다. 값 {count}개로 된 튜플이어야 합니다",
    },
    "value.tuple_length": {
        "en": "returned {count} values; expected {expected}",
        "ko": "값 {count}개를 반환했습니다. {expected}개여야 합니다",
    },
    "value.item": {"en": "its item {index} {problem}", "ko": "{index}번째 항목이 {problem}"},
    "value.float32": {
        "en": "your answer is float32, which keeps about 7 digits: compute in float64",
        "ko": "답이 float32라서 유효 숫자가 7자리 정도뿐입니다. float64로 계산하세요",
    },
    # ------------------------------------------------------------ check kinds
    "cases.failed": {
        "en": "case {case} of {count}: {call} {problem}",
        "ko": "{count}개 중 {case}번째 경우: {call} {problem}",
    },
    "trajectory.at_step": {
        "en": "at step {step}, {call} {problem}",
        "ko": "{step}번째 단계에서 {call} {problem}",
    },
    "trajectory.between": {
        "en": "at a point between the checkpoints, {call} {problem} (landing on the published checkpoints is not "
              "enough: the function must give the right answer at every point)",
        "ko": "출력 지점 사이의 한 지점에서 {call} {problem} (공개된 출력 지점에 도달하는 것만으로는 부족합니다: "
              "모든 지점에서 올바른 값을 돌려주어야 합니다)",
    },
    "trajectory.left": {
        "en": "with your {function} and the update ({names}) ← ({names}) − rate·answer, the path leaves the "
              "expected one",
        "ko": "작성한 {function}와(과) 업데이트 ({names}) ← ({names}) − 학습률·답으로 계산한 경로가 기대한 경로와 "
              "달라집니다",
    },
    "trajectory.first_diverging": {
        "en": "first diverging checkpoint: step {step}: {mine}; {label} {names} = {expected}",
        "ko": "처음으로 달라지는 지점: {step}번째 단계: {mine}. {label} {names} = {expected}",
    },
    "table.step": {"en": "step", "ko": "단계"},
    "table.yours": {"en": "your {names}", "ko": "내 {names}"},
    "table.expected": {"en": "expected", "ko": "기대값"},
    "table.not_reached": {"en": "not reached", "ko": "도달하지 못함"},
    "table.marker": {"en": "← first difference", "ko": "← 처음 달라지는 곳"},
    "driver.problem": {"en": "{driver}() {problem}", "ko": "{driver}()이(가) {problem}"},
    "driver.unreadable": {
        "en": "the calls of {function} could not be read; this check cannot pass",
        "ko": "{function} 호출 기록을 읽을 수 없습니다. 이 검사는 통과할 수 없습니다",
    },
    "driver.too_many_calls": {
        "en": "{driver}() called {function} {calls} times, far more than it should",
        "ko": "{driver}()이(가) {function}을(를) {calls}번이나 호출했습니다. 너무 많습니다",
    },
    "driver.argument": {
        "en": "at call {call} of {function}, {param} = {got}; the given code passes {param} = {expected}",
        "ko": "{function}의 {call}번째 호출에서 {param} = {got}입니다. 주어진 코드대로라면 {param} = {expected}입니다",
    },
    "driver.changed": {
        "en": "{driver}() changed the array it passes {function} as {param} in place while it ran (or passed "
              "more different arrays than can be kept); the given code never does",
        "ko": "{driver}()이(가) 실행 중에 {function}에 {param}(으)로 넘기는 배열을 제자리에서 바꿨습니다 (또는 너무 "
              "많은 서로 다른 배열을 넘겼습니다). 주어진 코드는 그렇게 하지 않습니다",
    },
    "driver.argument_other": {
        "en": "at call {call} of {function}, {param} = {other} (the value the given code passes as {other}); the "
              "given code passes {param} = {expected}",
        "ko": "{function}의 {call}번째 호출에서 {param} = {other}입니다 (주어진 코드가 {other}(으)로 넘기는 값). "
              "주어진 코드대로라면 {param} = {expected}입니다",
    },
    "driver.never_called": {
        "en": "{driver}() never called {function} (it must use {function}(...) as the given code does); with the "
              "given code it calls it {expected}",
        "ko": "{driver}()이(가) {function}을(를) 한 번도 호출하지 않았습니다 (주어진 코드처럼 {function}(...)을(를) "
              "사용해야 합니다). 주어진 코드대로라면 {expected} 호출합니다",
    },
    "driver.calls": {
        "en": "{driver}() called {function} {calls}; with the given code it calls it {expected} (is a loop's "
              "length changed, or a return or break inside the loop?)",
        "ko": "{driver}()이(가) {function}을(를) {calls} 호출했습니다. 주어진 코드대로라면 {expected} 호출합니다 "
              "(반복 횟수를 바꾸었거나, 반복문 안에 return이나 break가 있지 않나요?)",
    },
    "driver.once": {"en": "once", "ko": "한 번"},
    "driver.times": {"en": "{count} times", "ko": "{count}번"},
    "driver.returned": {"en": "{driver}() {problem}", "ko": "{driver}()이(가) {problem}"},
    "driver.printed": {
        "en": "{driver}() printed line {line} as “{got}”; expected the numbers of “{expected}”",
        "ko": "{driver}()이(가) {line}번째 줄을 “{got}”(으)로 출력했습니다. “{expected}”의 숫자가 나와야 합니다",
    },
    "driver.script_one": {
        "en": "{function} always returning {shown}",
        "ko": "{function}이(가) 항상 {shown}을(를) 반환할 때",
    },
    "driver.script_many": {
        "en": "{function} returning {shown} in turn",
        "ko": "{function}이(가) {shown}을(를) 차례로 반환할 때",
    },
    "driver.replay": {
        "en": "{function} answering as the reference does",
        "ko": "{function}이(가) 정답 코드처럼 답할 때",
    },
    "driver.reference": {
        "en": "{function} answered by the reference",
        "ko": "{function}의 답을 정답 코드가 계산할 때",
    },
    "driver.setting": {"en": "{driver}() with {stand_ins}", "ko": "{stand_ins}의 {driver}()"},
    "driver.counterexample": {"en": "{setting}: {problem}", "ko": "{setting}: {problem}"},
    # ------------------------------------------------------------ misconceptions
    "misconception.named": {
        "en": "This looks like a known mistake: {name}. Look again at {formula}.",
        "ko": "자주 하는 실수로 보입니다: {name}. 다시 확인할 곳: {formula}.",
    },
    "misconception.example": {"en": "For example: {example}", "ko": "예: {example}"},
    "misconception.named_no_hint": {
        "en": "This looks like a known mistake: {name}.",
        "ko": "자주 하는 실수로 보입니다: {name}.",
    },
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
    "report.input": {"en": "{count} input", "ko": "입력 {count}개"},
    "report.score": {"en": "score", "ko": "점수"},
    "report.feedback": {"en": "feedback", "ko": "피드백"},
    "report.counterexample": {"en": "counterexample", "ko": "반례"},
    "report.all_passed": {"en": "All checks passed.", "ko": "모든 검사를 통과했습니다."},
    "report.correct": {"en": "correct", "ko": "정답"},
    "report.not_yet": {"en": "not yet correct", "ko": "아직 정답이 아님"},
    "report.reproducible": {
        "en": "reproducible with: grader {grader}, build sha256 {spec} (inputs drawn by Hypothesis {hypothesis}, "
              "seed {seed}), numpy {numpy}, Python {python}, isolation {isolation}",
        "ko": "재현 정보: grader {grader}, build sha256 {spec} (입력 생성: Hypothesis {hypothesis}, seed {seed}), "
              "numpy {numpy}, Python {python}, 격리 방식 {isolation}",
    },
    # ------------------------------------------------------------ a class's feedback (files, LMS comments)
    "feedback.student": {"en": "Student: {name}", "ko": "학생: {name}"},
    "feedback.score": {"en": "Score: {score} / {max}", "ko": "점수: {score} / {max}"},
    "feedback.part": {"en": "{title} — {score} / {max}", "ko": "{title} — {score} / {max}"},
    "feedback.check": {"en": "{title}: {status} ({score} / {max})", "ko": "{title}: {status} ({score} / {max})"},
    "feedback.counterexample": {"en": "Counterexample: {example}", "ko": "반례: {example}"},
    "feedback.counterexample_block": {"en": "Counterexample:", "ko": "반례:"},
    "feedback.look_again": {"en": "Look again at {formula}.", "ko": "다시 확인할 곳: {formula}."},
    "feedback.not_graded": {
        "en": "Your submission could not be graded automatically. Your teacher will look at it.",
        "ko": "제출물을 자동으로 채점하지 못했습니다. 선생님이 직접 확인할 것입니다.",
    },
    "feedback.not_run": {"en": "Your submission could not be run:", "ko": "제출물을 실행할 수 없었습니다:"},
    "feedback.not_run_short": {
        "en": "Your submission could not be run; your feedback file says why.",
        "ko": "제출물을 실행할 수 없었습니다. 이유는 피드백 파일에 있습니다.",
    },
    "feedback.notes": {"en": "Notes", "ko": "참고"},
    "gradescope.autograder_error": {"en": "Autograder error", "ko": "자동 채점 오류"},
    "gradescope.could_not_grade": {
        "en": "The autograder could not grade this submission.",
        "ko": "자동 채점기가 이 제출물을 채점하지 못했습니다.",
    },
    "gradescope.no_message": {
        "en": "The autograder failed without a message.",
        "ko": "자동 채점기가 메시지 없이 실패했습니다.",
    },
    "gradescope.not_run": {"en": "Submission could not be run", "ko": "제출물을 실행할 수 없음"},
    # ------------------------------------------------------------ the class summary page
    "summary.title": {"en": "Class summary: {title}", "ko": "반 전체 요약: {title}"},
    "summary.counts": {
        "en": "Submissions: {total} ({graded} graded, {not_graded} not graded).",
        "ko": "제출물 {total}개 (채점 {graded}개, 채점하지 못함 {not_graded}개).",
    },
    "summary.stats": {
        "en": "Mean {mean}, median {median}, out of {top}.",
        "ko": "평균 {mean}, 중앙값 {median} (만점 {top}).",
    },
    "summary.scores": {"en": "Scores", "ko": "점수 분포"},
    "summary.histogram": {"en": "Histogram of scores", "ko": "점수 히스토그램"},
    "summary.no_graded": {"en": "No graded submissions.", "ko": "채점된 제출물이 없습니다."},
    "summary.parts": {"en": "Parts", "ko": "문항별 결과"},
    "summary.parts_note": {"en": "Over the submissions that ran.", "ko": "실행된 제출물을 기준으로 합니다."},
    "summary.part": {"en": "Part", "ko": "문항"},
    "summary.average": {"en": "Mean", "ko": "평균"},
    "summary.max": {"en": "Max", "ko": "만점"},
    "summary.average_share": {"en": "Mean %", "ko": "평균 %"},
    "summary.full_marks": {"en": "Full marks", "ko": "만점 받은 제출물"},
    "summary.mistakes": {"en": "Mistakes", "ko": "실수 유형"},
    "summary.mistakes_note": {
        "en": "Checks not passed, by the mistake they point to (“{other}”: no known mistake); "
              "bar length is the number of checks.",
        "ko": "통과하지 못한 검사를 해당하는 실수별로 셉니다 (“{other}”: 알려진 실수가 아님). "
              "막대 길이는 검사 수입니다.",
    },
    "summary.other": {"en": "other", "ko": "기타"},
    "summary.every_check_passed": {"en": "Every check passed.", "ko": "모든 검사를 통과했습니다."},
    "summary.mistakes_in": {"en": "Mistakes in {part}", "ko": "{part}의 실수 유형"},
    "summary.bar_note": {"en": "checks: {checks}, students: {students}", "ko": "검사 {checks}개, 학생 {students}명"},
    "summary.students": {"en": "Students", "ko": "학생별 결과"},
    "summary.student": {"en": "Student", "ko": "학생"},
    "summary.name": {"en": "Name", "ko": "이름"},
    "summary.score": {"en": "Score", "ko": "점수"},
    "summary.feedback": {"en": "Feedback", "ko": "피드백"},
    "summary.feedback_link": {"en": "feedback", "ko": "피드백"},
    "summary.state": {"en": "Note", "ko": "비고"},
    "summary.not_graded": {"en": "not graded", "ko": "채점하지 못함"},
    "summary.not_run": {"en": "could not run", "ko": "실행되지 않음"},
    "summary.errors": {"en": "Submissions with errors", "ko": "오류가 난 제출물"},
    "summary.kind": {"en": "Kind", "ko": "종류"},
    "summary.error": {"en": "Error", "ko": "오류"},
    "summary.kind_grader": {"en": "grader", "ko": "채점기"},
    "summary.kind_submission": {"en": "submission", "ko": "제출물"},
    "summary.none": {"en": "None.", "ko": "없음."},
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
    "cli.no_submission": {
        "en": "name the submission to grade (a .py or .ipynb file), or a command; grade --help lists them",
        "ko": "채점할 제출물(.py 또는 .ipynb 파일)이나 명령을 지정하세요. grade --help에 목록이 있습니다",
    },
    "cli.interrupted": {
        "en": "interrupted; every process it started has been stopped",
        "ko": "중단했습니다. 시작한 프로세스는 모두 종료했습니다",
    },
    "cli.missing_package": {
        "en": "the package {package} is not installed: in the exercise's folder run "
              "pip install -r requirements.txt (or pip install exercise-grader)",
        "ko": "{package} 패키지가 설치되어 있지 않습니다. 과제 폴더에서 pip install -r requirements.txt "
              "(또는 pip install exercise-grader)를 실행하세요",
    },
    "notebook.nothing": {
        "en": "No code to check yet: run the cells that define {functions} first.",
        "ko": "아직 점검할 코드가 없습니다. 먼저 {functions}을(를) 정의한 셀을 실행하세요.",
    },
    "bundle.readme": {
        "en": "Self-check: {title}\n\n"
              "Install it once, in a terminal opened in this folder (Python 3.11 or newer):\n\n"
              "    python -m venv .venv\n"
              "    .venv\\Scripts\\activate          (Windows; on macOS and Linux: source .venv/bin/activate)\n"
              "    pip install -r requirements.txt\n\n"
              "On Windows, if python is not found, type py instead. If PowerShell will not run activate, skip "
              "that line and type .venv\\Scripts\\pip and .venv\\Scripts\\grade in place of pip and grade.\n\n"
              "Then check your work ({functions}) before you hand it in, from this folder:\n\n"
              "    grade --self-check {notebook}\n"
              "    grade --self-check {stub}\n\n"
              "or inside the notebook {notebook}, in cells of their own:\n\n"
              "    %pip install -r requirements.txt\n"
              "    from grader import check; check()\n\n"
              "Add --lang ko (or check(lang=\"ko\")) for Korean. The self-check works without the reference "
              "solution; the official grade may run more checks. It works on Windows, macOS and Linux: without "
              "Linux's sandbox (bubblewrap) your code runs in a separate Python process with time, output and "
              "memory limits, and the report says which.",
        "ko": "자가 점검: {title}\n\n"
              "이 폴더에서 터미널을 열고 한 번만 설치하세요 (Python 3.11 이상):\n\n"
              "    python -m venv .venv\n"
              "    .venv\\Scripts\\activate          (Windows. macOS와 Linux에서는 source .venv/bin/activate)\n"
              "    pip install -r requirements.txt\n\n"
              "Windows에서 python을 찾을 수 없다고 나오면 py를 입력하세요. PowerShell이 activate를 실행하지 않으면 "
              "그 줄은 건너뛰고 pip와 grade 대신 .venv\\Scripts\\pip와 .venv\\Scripts\\grade를 입력하세요.\n\n"
              "제출하기 전에 이 폴더에서 작성한 코드({functions})를 점검하세요:\n\n"
              "    grade --self-check {notebook} --lang ko\n"
              "    grade --self-check {stub} --lang ko\n\n"
              "또는 노트북 {notebook} 안에서, 각각 새 셀에:\n\n"
              "    %pip install -r requirements.txt\n"
              "    from grader import check; check(lang=\"ko\")\n\n"
              "자가 점검은 정답 코드 없이 동작합니다. 공식 채점에서는 더 많은 검사를 할 수 있습니다. "
              "Windows, macOS, Linux에서 모두 동작합니다. Linux의 샌드박스(bubblewrap)가 없으면 코드는 시간, 출력, "
              "메모리 제한이 있는 별도의 Python 프로세스에서 실행되고, 어떤 제한이 적용되었는지 보고서에 나옵니다.",
    },
    "cli.build_wrote": {"en": "wrote {path}", "ko": "{path}을(를) 썼습니다"},
    "cli.up_to_date": {"en": "{path}: up to date", "ko": "{path}: 최신 상태입니다"},
    "batch.done": {
        "en": "graded {graded} submission(s), reused {reused} from an earlier run, in {seconds} s; {full} of {total} "
              "with full marks, {failed} that could not be loaded or run",
        "ko": "제출물 {graded}개를 채점하고 {reused}개는 이전 실행의 결과를 다시 썼습니다 ({seconds}초). {total}개 중 "
              "{full}개가 만점, {failed}개는 불러오거나 실행할 수 없었습니다",
    },
    "batch.crashed": {
        "en": "; {crashed} the grader itself could not grade (blank grade)",
        "ko": ". 채점기 자체가 채점하지 못한 제출물 {crashed}개 (점수를 비워 둠)",
    },
    "batch.superseded": {"en": "superseded (an older file of {student}): {path}",
                         "ko": "대체됨 ({student}의 이전 파일): {path}"},
    "batch.skipped": {"en": "skipped {path}: {reason}", "ko": "건너뜀 {path}: {reason}"},
    "batch.problem": {"en": "problem: {problem}", "ko": "문제: {problem}"},
    "batch.unmatched": {"en": "not in the LMS file: {message}", "ko": "LMS 파일에 넣지 않음: {message}"},
    "batch.outputs": {"en": "outputs in {out}: {files}", "ko": "출력 폴더 {out}: {files}"},
    "cli.warning": {"en": "warning: {message}", "ko": "경고: {message}"},
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


def placeholders(text: str) -> set[str]:
    return {name for _, name, _, _ in Formatter().parse(text) if name}
