;;;; hashtables: EQL and EQUAL hash tables: insertion, lookup, update, removal.
(defun run-hash ()
  (let ((h (make-hash-table)) (e (make-hash-table :test 'equal)) (sum 0))
    (dotimes (i 20000) (setf (gethash i h) (* i 2)))
    (dotimes (i 20000) (incf sum (gethash i h 0)))
    (dotimes (i 2000) (setf (gethash (list i (* i i)) e) i))
    (dotimes (i 2000) (incf sum (gethash (list i (* i i)) e 0)))
    (dotimes (i 10000) (remhash (* 2 i) h))
    (+ sum (hash-table-count h) (hash-table-count e))))

;;; Timing: ITERATIONS runs (scaled by *BENCH-SCALE*, which a driver may set first), one
;;; parseable line: BENCH name seconds iterations check.
(defvar *bench-scale* 1)
(let* ((n (max 1 (round (* 400 *bench-scale*))))
       (start (get-internal-real-time))
       (result nil))
  (dotimes (i n) (setq result (run-hash)))
  (format t "BENCH hashtables ~,4f ~d ~a~%"
          (/ (float (- (get-internal-real-time) start)) internal-time-units-per-second)
          n result))
