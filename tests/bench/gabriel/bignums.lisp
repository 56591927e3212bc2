;;;; bignums: factorials and Fibonacci numbers far beyond the fixnum range (GMP).
(defun factorial (n) (let ((r 1)) (loop for i from 2 to n do (setq r (* r i))) r))
(defun big-fib (n) (let ((a 0) (b 1)) (dotimes (i n a) (psetq a b b (+ a b)))))
(defun run-bignums ()
  (+ (integer-length (factorial 1000)) (integer-length (big-fib 5000))
     (mod (factorial 300) 1000003) (length (princ-to-string (factorial 200)))))

;;; Timing: ITERATIONS runs (scaled by *BENCH-SCALE*, which a driver may set first), one
;;; parseable line: BENCH name seconds iterations check.
(defvar *bench-scale* 1)
(let* ((n (max 1 (round (* 1100 *bench-scale*))))
       (start (get-internal-real-time))
       (result nil))
  (dotimes (i n) (setq result (run-bignums)))
  (format t "BENCH bignums ~,4f ~d ~a~%"
          (/ (float (- (get-internal-real-time) start)) internal-time-units-per-second)
          n result))
