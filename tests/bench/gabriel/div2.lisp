;;;; div2: dividing a list by two, iteratively and recursively.
(defun create-n (n) (do ((n n (1- n)) (a nil (push nil a))) ((= n 0) a)))
(defvar *ll* (create-n 200))
(defun iterative-div2 (l) (do ((l l (cddr l)) (a nil (push (car l) a))) ((null l) a)))
(defun recursive-div2 (l) (cond ((null l) nil) (t (cons (car l) (recursive-div2 (cddr l))))))
(defun run-div2 ()
  (dotimes (i 300) (iterative-div2 *ll*) (iterative-div2 *ll*) (iterative-div2 *ll*) (iterative-div2 *ll*))
  (dotimes (i 300) (recursive-div2 *ll*) (recursive-div2 *ll*) (recursive-div2 *ll*) (recursive-div2 *ll*))
  (length (recursive-div2 *ll*)))

;;; Timing: ITERATIONS runs (scaled by *BENCH-SCALE*, which a driver may set first), one
;;; parseable line: BENCH name seconds iterations check.
(defvar *bench-scale* 1)
(let* ((n (max 1 (round (* 400 *bench-scale*))))
       (start (get-internal-real-time))
       (result nil))
  (dotimes (i n) (setq result (run-div2)))
  (format t "BENCH div2 ~,4f ~d ~a~%"
          (/ (float (- (get-internal-real-time) start)) internal-time-units-per-second)
          n result))
