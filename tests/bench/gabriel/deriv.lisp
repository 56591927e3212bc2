;;;; deriv: symbolic derivative, consing and dispatch with COND on symbols.
(defun deriv-aux (a) (list '/ (deriv a) a))
(defun deriv (a)
  (cond ((atom a) (if (eq a 'x) 1 0))
        ((eq (car a) '+) (cons '+ (mapcar #'deriv (cdr a))))
        ((eq (car a) '-) (cons '- (mapcar #'deriv (cdr a))))
        ((eq (car a) '*) (list '* a (cons '+ (mapcar #'deriv-aux (cdr a)))))
        ((eq (car a) '/) (list '- (list '/ (deriv (cadr a)) (caddr a))
                               (list '/ (cadr a) (list '* (caddr a) (caddr a) (deriv (caddr a))))))
        (t (error "No derivation method for ~S" a))))
(defun run-deriv ()
  (let ((r nil))
    (dotimes (i 1000 (length r))
      (setq r (deriv '(+ (* 3 x x) (* a x x) (* b x) 5)))
      (deriv '(+ (* 3 x x) (* a x x) (* b x) 5))
      (deriv '(+ (* 3 x x) (* a x x) (* b x) 5))
      (deriv '(+ (* 3 x x) (* a x x) (* b x) 5))
      (deriv '(+ (* 3 x x) (* a x x) (* b x) 5)))))

;;; Timing: ITERATIONS runs (scaled by *BENCH-SCALE*, which a driver may set first), one
;;; parseable line: BENCH name seconds iterations check.
(defvar *bench-scale* 1)
(let* ((n (max 1 (round (* 700 *bench-scale*))))
       (start (get-internal-real-time))
       (result nil))
  (dotimes (i n) (setq result (run-deriv)))
  (format t "BENCH deriv ~,4f ~d ~a~%"
          (/ (float (- (get-internal-real-time) start)) internal-time-units-per-second)
          n result))
