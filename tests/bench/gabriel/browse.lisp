;;;; browse: a small database of symbols with property lists, searched by pattern
;;;; matching with wildcards (after Gabriel's BROWSE, written anew).
(defvar *seed* 21)
(defun next-random () (setq *seed* (mod (+ (* *seed* 17) 11) 251)))
(defun make-units ()
  (let ((units nil))
    (dotimes (i 100 units)
      (let ((s (make-symbol (format nil "UNIT~D" i))))
        (setf (get s 'pattern)
              (loop repeat 5 collect
                (loop repeat 6 collect (case (mod (next-random) 5) (0 'a) (1 'b) (2 '*) (3 '?) (t 'c)))))
        (push s units)))))
(defun match (pat dat)
  (cond ((null pat) (null dat))
        ((null dat) (and (eq (car pat) '*) (match (cdr pat) dat)))
        ((eq (car pat) '?) (match (cdr pat) (cdr dat)))
        ((eq (car pat) '*) (or (match (cdr pat) dat) (match pat (cdr dat))))
        ((eq (car pat) (car dat)) (match (cdr pat) (cdr dat)))
        (t nil)))
(defvar *units* (make-units))
(defun investigate (units patterns)
  (let ((hits 0))
    (dolist (u units hits)
      (dolist (p (get u 'pattern))
        (dolist (q patterns)
          (when (match q p) (incf hits)))))))
(defun run-browse ()
  (investigate *units* '((* a ? b *) (? ? c *) (a * b * c) (* * *) (? b ? b ? b))))

;;; Timing: ITERATIONS runs (scaled by *BENCH-SCALE*, which a driver may set first), one
;;; parseable line: BENCH name seconds iterations check.
(defvar *bench-scale* 1)
(let* ((n (max 1 (round (* 7000 *bench-scale*))))
       (start (get-internal-real-time))
       (result nil))
  (dotimes (i n) (setq result (run-browse)))
  (format t "BENCH browse ~,4f ~d ~a~%"
          (/ (float (- (get-internal-real-time) start)) internal-time-units-per-second)
          n result))
