;;;; queens: all solutions of the N-queens puzzle by backtracking over lists.
(defun queens-ok (row dist placed)
  (or (null placed)
      (and (/= (car placed) (+ row dist)) (/= (car placed) (- row dist)) (/= (car placed) row)
           (queens-ok row (1+ dist) (cdr placed)))))
(defun queens-try (n placed k)
  (if (= k n) 1
      (let ((count 0))
        (dotimes (row n count)
          (when (queens-ok row 1 placed)
            (incf count (queens-try n (cons row placed) (1+ k))))))))

;;; Timing: ITERATIONS runs (scaled by *BENCH-SCALE*, which a driver may set first), one
;;; parseable line: BENCH name seconds iterations check.
(defvar *bench-scale* 1)
(let* ((n (max 1 (round (* 900 *bench-scale*))))
       (start (get-internal-real-time))
       (result nil))
  (dotimes (i n) (setq result (queens-try 8 nil 0)))
  (format t "BENCH queens ~,4f ~d ~a~%"
          (/ (float (- (get-internal-real-time) start)) internal-time-units-per-second)
          n result))
