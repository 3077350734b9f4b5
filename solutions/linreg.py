# %% [markdown]
# ## 딥러닝 모델 학습방법
# - loss function: 예측값과 실제값간의 오차값
#     - 손실 함수(loss function)는 실제값과 모델이 예측한 값 간의 차이를 계산해주는 함수입니다.
#     - 손실 함수의 값은 가중치와 편향을 업데이트하는 데에 사용됩니다.
#     - MSE (Mean Squared Error)
#         - MSE는 평균 제곱 오차 함수로, 수식은 다음과 같습니다.
#         $$Loss(w_0, w_1) = \frac{1}{N}\sum_{i=1}^{N}\left(y_i - f(x_i)\right)^2
#         = \frac{1}{N}\sum_{i=1}^{N}\left(y_i - (w_0 + w_1 x_i)\right)^2$$
#         $Loss(w0,w1)=1/N∑(yi−f(xi))^2
#                     =1/N(yi−(w0+w1xi))^2$
#         - 여기서 $f(xi)=w0+w1xi$는 모델 $f(x)$에 $xi$를 넣어서 나온 예측값이다.
# %%
import numpy as np

# 사용할 1차 선형 회귀 모델

def linear_model(w0, w1, X):
    
    f_x = w0 + w1 * X
    
    return f_x
    
# %%
'''
1. 설명 중 '손실 함수' 파트의 수식을 참고해
   MSE 손실 함수를 완성하세요. 
'''

def Loss(f_x, y):
    
    ### BEGIN SOLUTION
    ls = np.mean(np.square(y - f_x))
    ### END SOLUTION
    ### PROMPT ls = None  # TODO: MSE 손실 함수를 완성하세요.
    
    return ls

# %% [markdown]
# - optimization: 오차값을 최소화하는 모델의 인자를 찾는것
#
# - gradient descent: 가장 기본적인 최적화 알고리즘
#     - gradient는 기울기 벡터를 의미
#     - 선형 함수의 각 파라미터들의 편미분으로 구성된 열벡터로 정의
#     -  학습률(learning rate)을 나타내는 $α$가 있고, gradient를 나타내는 수식인 $\triangledown Loss(W)$가 있다.
#     $$W \leftarrow W - \alpha \nabla Loss(W)$$
#     - 우리가 구해야할 $w0$, $w1$에 대한 gradient는 다음과 같다.
#     $$\nabla Loss(W) = \begin{pmatrix} \dfrac{\partial Loss}{\partial w_0} \\[2ex]
#     \dfrac{\partial Loss}{\partial w_1} \end{pmatrix}$$
#     - $w0$, $w1$에 대한 gradient를 구하기 위해 $Loss$를 각각에 대해 편미분하면 다음과 같다.
#     $$\frac{\partial Loss}{\partial w_0} = \frac{2}{N}\sum_{i=1}^{N}\left(y_i - f(x_i)\right)\cdot(-1), \qquad
#     \frac{\partial Loss}{\partial w_1} = \frac{2}{N}\sum_{i=1}^{N}\left(y_i - f(x_i)\right)\cdot(-x_i)$$
# %%
'''
2. 설명 중 'Gradient' 파트의 마지막 두 수식을 참고해 두 가중치
   w0와 w1에 대한 gradient인 'gradient0'와 'gradient1'을
   반환하는 함수 gradient_descent 함수를 완성하세요.
   
   Step01. w0에 대한 gradient인 'gradient0'를 작성합니다.
   
   Step02. w1에 대한 gradient인 'gradient1'을 작성합니다.
'''

def gradient_descent(w0, w1, X, y):
    
    ### BEGIN SOLUTION
    gradient0 = 2 * np.mean((y - (w0 + w1 * X)) * -1)
    gradient1 = 2 * np.mean((y - (w0 + w1 * X)) * -1 * X)
    ### END SOLUTION
    ### PROMPT gradient0 = None  # TODO: Step01. w0에 대한 gradient
    ### PROMPT gradient1 = None  # TODO: Step02. w1에 대한 gradient
    
    return np.array([gradient0, gradient1])

# %% [markdown]
# - 가중치
#     - 위와 같이 구한 $w0$, $w1$의 gradient를 $α$를 이용해 가중치를 업데이트하는 공식
#     $$w_0 \leftarrow w_0 - \alpha \frac{\partial Loss}{\partial w_0}, \qquad
#     w_1 \leftarrow w_1 - \alpha \frac{\partial Loss}{\partial w_1}$$
# %%
'''
3. 설명 중 '가중치 업데이트' 파트의 두 수식을 참고해 
   gradient descent를 통한 가중치 업데이트 코드를 작성하세요.
   
   Step01. 앞서 완성한 gradient_descent 함수를 이용해
           w0와 w1에 대한 gradient인 'gd'를 정의하세요.
           
   Step02. 변수 'w0'와 'w1'에 두 가중치 w0와 w1을 
           업데이트하는 코드를 작성합니다. 앞서 정의한
           변수 'gd'와 이미 정의된 변수 'lr'을 사용하세요.
'''

def main():
    
    X = np.array([1,2,3,4]).reshape((-1,1))
    y = np.array([3.1, 4.9, 7.2, 8.9]).reshape((-1,1))
    
    # 파라미터 초기화
    w0 = 0
    w1 = 0
    
    # learning rate 설정
    lr = 0.001
    
    # 반복 횟수 1000으로 설정
    for i in range(1000):
    
        ### BEGIN SOLUTION
        gd = gradient_descent(w0, w1, X, y)
        ### END SOLUTION
        ### PROMPT gd = None  # TODO: Step01. gradient_descent 함수를 이용해 gd를 정의하세요.
        
        ### BEGIN SOLUTION
        w0 = w0 - lr * gd[0]
        w1 = w1 - lr * gd[1]
        ### END SOLUTION
        ### PROMPT w0 = w0  # TODO: Step02. gd와 lr을 이용해 w0를 업데이트하세요.
        ### PROMPT w1 = w1  # TODO: Step02. gd와 lr을 이용해 w1을 업데이트하세요.
        
        # 100회마다의 해당 loss와 w0, w1 출력
        if (i % 100 == 0):
        
            loss = Loss(linear_model(w0,w1,X),y)
        
            print("{}번째 loss : {}".format(i, loss))
            print("{}번째 w0, w1 : {}, {}".format(i, w0, w1),'\n')

    return w0, w1

# %%
if __name__ == '__main__':
    main()
