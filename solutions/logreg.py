# %% [markdown]
# # Logistic regression, one gradient step / 로지스틱 회귀: 경사 하강 한 단계
#
# A logistic regression model predicts the probability that a sample belongs to class 1:
# $p = \sigma(Xw + b)$ with the sigmoid $\sigma(z) = \dfrac{1}{1 + e^{-z}}$.
#
# 로지스틱 회귀 모델은 표본이 클래스 1에 속할 확률을 예측합니다:
# $p = \sigma(Xw + b)$, 시그모이드 함수는 $\sigma(z) = \dfrac{1}{1 + e^{-z}}$입니다.
# %%
import numpy as np


# %% [markdown]
# ## 1. The sigmoid / 시그모이드
# $\sigma(z) = \dfrac{1}{1 + e^{-z}}$, elementwise: `z` may be a number or an array.
#
# `z`는 숫자일 수도, 배열일 수도 있습니다. 배열이면 원소마다 계산합니다.
# %%
def sigmoid(z):
    ### BEGIN SOLUTION
    return 1 / (1 + np.exp(-z))
    ### END SOLUTION
    ### PROMPT return None  # TODO: 1 / (1 + e^(-z)), elementwise


# %% [markdown]
# ## 2. The loss / 손실 함수
# The mean binary cross-entropy of the predicted probabilities `p` for the labels `y` (0 or 1):
#
# $$L(p, y) = -\frac{1}{n}\sum_{i=1}^{n}\Big(y_i \log p_i + (1 - y_i)\log(1 - p_i)\Big)$$
#
# Clip `p` to $[10^{-12}, 1 - 10^{-12}]$ first, so that $\log 0$ never happens.
#
# 예측 확률 `p`와 레이블 `y`(0 또는 1)의 평균 이진 교차 엔트로피입니다. $\log 0$이 생기지 않도록 먼저 `p`를
# $[10^{-12}, 1 - 10^{-12}]$ 범위로 자르세요(clip).
# %%
def bce_loss(p, y):
    ### BEGIN SOLUTION
    p = np.clip(p, 1e-12, 1 - 1e-12)
    return np.mean(-(y * np.log(p) + (1 - y) * np.log(1 - p)))
    ### END SOLUTION
    ### PROMPT return None  # TODO: the mean binary cross-entropy, with p clipped


# %% [markdown]
# ## 3. One gradient step / 경사 하강 한 단계
# With $p = \sigma(Xw + b)$, the gradient of the mean loss is
#
# $$\nabla_w L = \frac{1}{n} X^\top (p - y), \qquad \frac{\partial L}{\partial b} = \frac{1}{n}\sum_{i=1}^{n}(p_i - y_i)$$
#
# and one step is $w \leftarrow w - \alpha \nabla_w L$, $b \leftarrow b - \alpha \dfrac{\partial L}{\partial b}$.
# Use your `sigmoid`. Return the new `(w, b)`.
#
# 작성한 `sigmoid`를 사용해 한 단계 업데이트한 `(w, b)`를 반환하세요.
# %%
def gradient_step(w, b, X, y, lr):
    ### BEGIN SOLUTION
    p = sigmoid(X @ w + b)
    error = p - y
    grad_w = X.T @ error / len(y)
    grad_b = np.mean(error)
    return w - lr * grad_w, b - lr * grad_b
    ### END SOLUTION
    ### PROMPT return w, b  # TODO: one step of gradient descent on the mean loss
