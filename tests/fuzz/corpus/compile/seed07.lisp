(eval-when (:execute) (locally (declare (special z)) (the fixnum (load-time-value 1))))
