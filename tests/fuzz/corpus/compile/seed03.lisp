(macrolet ((m (a &body b) `(progn ,a ,@b))) (symbol-macrolet ((s (car l))) (m s (setq s 2))))
