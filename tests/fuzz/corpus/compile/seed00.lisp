(defun f (a &optional (b 2 bp) &rest r &key c ((:d dd) 4) &allow-other-keys &aux (x 1)) (list a b bp r c dd x))
