(let* ((a 1) (b (lambda () (setq a 2)))) (declare (special c)) (funcall b) a)
