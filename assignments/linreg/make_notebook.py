"""Build linreg.ipynb from linreg.py and the exercise's explanation.

The notebook's code cells are cut out of linreg.py, so the two never drift apart:
run this script after every change to linreg.py or to the texts below, and commit
both files. ``python make_notebook.py --check`` exits 1 when the notebook on disk is
not what this script would write.

The explanation is the exercise document's. Its pictures are not available, so
each one is replaced by the formula it shows, written in LaTeX.
"""

from __future__ import annotations

import argparse
import ast
import sys
from pathlib import Path

import nbformat
from nbformat import v4

HERE = Path(__file__).resolve().parent
SOURCE = HERE / "linreg.py"
NOTEBOOK = HERE / "linreg.ipynb"

LOSS_TEXT = r"""## 딥러닝 모델 학습방법
- loss function: 예측값과 실제값간의 오차값
    - 손실 함수(loss function)는 실제값과 모델이 예측한 값 간의 차이를 계산해주는 함수입니다.
    - 손실 함수의 값은 가중치와 편향을 업데이트하는 데에 사용됩니다.
    - MSE (Mean Squared Error)
        - MSE는 평균 제곱 오차 함수로, 수식은 다음과 같습니다.
        $$Loss(w_0, w_1) = \frac{1}{N}\sum_{i=1}^{N}\left(y_i - f(x_i)\right)^2
        = \frac{1}{N}\sum_{i=1}^{N}\left(y_i - (w_0 + w_1 x_i)\right)^2$$
        $Loss(w0,w1)=1/N∑(yi−f(xi))^2
                    =1/N(yi−(w0+w1xi))^2$
        - 여기서 $f(xi)=w0+w1xi$는 모델 $f(x)$에 $xi$를 넣어서 나온 예측값이다."""

GRADIENT_TEXT = r"""- optimization: 오차값을 최소화하는 모델의 인자를 찾는것

- gradient descent: 가장 기본적인 최적화 알고리즘
    - gradient는 기울기 벡터를 의미
    - 선형 함수의 각 파라미터들의 편미분으로 구성된 열벡터로 정의
    -  학습률(learning rate)을 나타내는 $α$가 있고, gradient를 나타내는 수식인 $\triangledown Loss(W)$가 있다.
    $$W \leftarrow W - \alpha \nabla Loss(W)$$
    - 우리가 구해야할 $w0$, $w1$에 대한 gradient는 다음과 같다.
    $$\nabla Loss(W) = \begin{pmatrix} \dfrac{\partial Loss}{\partial w_0} \\[2ex]
    \dfrac{\partial Loss}{\partial w_1} \end{pmatrix}$$
    - $w0$, $w1$에 대한 gradient를 구하기 위해 $Loss$를 각각에 대해 편미분하면 다음과 같다.
    $$\frac{\partial Loss}{\partial w_0} = \frac{2}{N}\sum_{i=1}^{N}\left(y_i - f(x_i)\right)\cdot(-1), \qquad
    \frac{\partial Loss}{\partial w_1} = \frac{2}{N}\sum_{i=1}^{N}\left(y_i - f(x_i)\right)\cdot(-x_i)$$"""

UPDATE_TEXT = r"""- 가중치
    - 위와 같이 구한 $w0$, $w1$의 gradient를 $α$를 이용해 가중치를 업데이트하는 공식
    $$w_0 \leftarrow w_0 - \alpha \frac{\partial Loss}{\partial w_0}, \qquad
    w_1 \leftarrow w_1 - \alpha \frac{\partial Loss}{\partial w_1}$$"""


def code_cells(source: str) -> list[str]:
    """linreg.py cut into five cells, each with the instruction text of its TODO.

    1. the import and linear_model, 2. Loss, 3. gradient_descent, 4. main,
    5. the ``if __name__ == '__main__'`` call. A cell starts at the instruction
    string just before its function, or at the function when there is none.
    """
    tree = ast.parse(source)
    body = tree.body
    starts: dict[str, int] = {}
    for index, node in enumerate(body):
        if isinstance(node, ast.FunctionDef) and node.name in {"Loss", "gradient_descent", "main"}:
            first = index
            previous = body[index - 1] if index else None
            if isinstance(previous, ast.Expr) and isinstance(previous.value, ast.Constant) \
                    and isinstance(previous.value.value, str):
                first = index - 1
            starts[node.name] = body[first].lineno
        elif isinstance(node, ast.If):
            starts["__main__"] = node.lineno
    missing = {"Loss", "gradient_descent", "main", "__main__"} - set(starts)
    if missing:
        raise SystemExit(f"{SOURCE.name}: cannot find {', '.join(sorted(missing))}")
    lines = source.splitlines()
    bounds = [1, starts["Loss"], starts["gradient_descent"], starts["main"], starts["__main__"], len(lines) + 1]
    if bounds != sorted(bounds):
        raise SystemExit(f"{SOURCE.name}: the functions are not in the expected order")
    cells = []
    for start, end in zip(bounds, bounds[1:], strict=False):
        # Lines are kept as they are (the instruction strings hold trailing spaces);
        # only the blank lines between two cells are left out.
        chunk = lines[start - 1:end - 1]
        while chunk and not chunk[-1].strip():
            chunk.pop()
        while chunk and not chunk[0].strip():
            chunk.pop(0)
        cells.append("\n".join(chunk))
    return cells


def build_notebook(source: str | None = None) -> nbformat.NotebookNode:
    if source is None:
        source = SOURCE.read_text(encoding="utf-8")
    model, loss, gradient, main, call = code_cells(source)
    cells = [
        v4.new_markdown_cell(LOSS_TEXT),
        v4.new_code_cell(model),
        v4.new_code_cell(loss),
        v4.new_markdown_cell(GRADIENT_TEXT),
        v4.new_code_cell(gradient),
        v4.new_markdown_cell(UPDATE_TEXT),
        v4.new_code_cell(main),
        v4.new_code_cell(call),
    ]
    for index, cell in enumerate(cells):
        cell["id"] = f"linreg-{index + 1:02d}"  # fixed ids: the same input gives the same file
    notebook = v4.new_notebook(cells=cells, metadata={
        "kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"},
        "language_info": {"name": "python"},
    })
    nbformat.validate(notebook)
    return notebook


def render(notebook: nbformat.NotebookNode) -> str:
    return nbformat.writes(notebook) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="only compare with the notebook on disk")
    args = parser.parse_args(argv)
    text = render(build_notebook())
    if args.check:
        current = NOTEBOOK.read_text(encoding="utf-8") if NOTEBOOK.exists() else None
        if current != text:
            print(f"{NOTEBOOK.name} is out of date: run make_notebook.py", file=sys.stderr)
            return 1
        return 0
    NOTEBOOK.write_text(text, encoding="utf-8")
    print(f"wrote {NOTEBOOK.name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
