(defmacro m2 ((a b) &whole w &environment e &key (k 1)) (list a b w e k))
