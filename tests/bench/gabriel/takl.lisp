;;;; takl: TAK with numbers represented as lists (list traversal instead of arithmetic).
(defun listn (n) (if (= n 0) nil (cons n (listn (1- n)))))
(defvar *l18* (listn 18))
(defvar *l12* (listn 12))
(defvar *l6* (listn 6))
(defun shorterp (x y) (and y (or (null x) (shorterp (cdr x) (cdr y)))))
(defun mas (x y z)
  (if (not (shorterp y x)) z
      (mas (mas (cdr x) y z) (mas (cdr y) z x) (mas (cdr z) x y))))

;;; Timing: ITERATIONS runs (scaled by *BENCH-SCALE*, which a driver may set first), one
;;; parseable line: BENCH name seconds iterations check.
(defvar *bench-scale* 1)
(let* ((n (max 1 (round (* 450 *bench-scale*))))
       (start (get-internal-real-time))
       (result nil))
  (dotimes (i n) (setq result (length (mas *l18* *l12* *l6*))))
  (format t "BENCH takl ~,4f ~d ~a~%"
          (/ (float (- (get-internal-real-time) start)) internal-time-units-per-second)
          n result))
