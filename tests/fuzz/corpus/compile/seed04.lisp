(unwind-protect (multiple-value-call #'list (values 1 2) (multiple-value-prog1 3 4)) (progv '(a) '(1) a))
