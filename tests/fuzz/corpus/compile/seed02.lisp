(let ((x 1)) (flet ((f () x)) (labels ((g (n) (if (= n 0) (f) (g (1- n))))) (setq x (g 3)))))
