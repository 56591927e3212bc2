;;;; tak: the Takeuchi function, function calls and fixnum arithmetic.
(defun tak (x y z)
  (if (not (< y x)) z
      (tak (tak (1- x) y z) (tak (1- y) z x) (tak (1- z) x y))))

;;; Timing: ITERATIONS runs (scaled by *BENCH-SCALE*, which a driver may set first), one
;;; parseable line: BENCH name seconds iterations check.
(defvar *bench-scale* 1)
(let* ((n (max 1 (round (* 850 *bench-scale*))))
       (start (get-internal-real-time))
       (result nil))
  (dotimes (i n) (setq result (tak 18 12 6)))
  (format t "BENCH tak ~,4f ~d ~a~%"
          (/ (float (- (get-internal-real-time) start)) internal-time-units-per-second)
          n result))
