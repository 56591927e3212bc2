;;;; destru: destructive list operations (RPLACA, RPLACD, NCONC) on a rebuilt structure.
(defun destructive (n m)
  (let ((l (do ((i 10 (1- i)) (a nil (cons nil a))) ((= i 0) a))))
    (dotimes (i n)
      (cond ((null (car l))
             (do ((l l (cdr l))) ((null l))
               (or (car l) (rplaca l (cons nil nil)))
               (nconc (car l) (do ((j m (1- j)) (a nil (cons nil a))) ((= j 0) a)))))
            (t (do ((l1 l (cdr l1)) (l2 (cdr l) (cdr l2))) ((null l2))
                 (rplacd (do ((j (floor (length (car l2)) 2) (1- j)) (a (car l2) (cdr a)))
                             ((zerop j) a)
                           (rplaca a i))
                         (let ((n (floor (length (car l1)) 2)))
                           (cond ((= n 0) (rplaca l1 nil) (car l1))
                                 (t (do ((j n (1- j)) (a (car l1) (cdr a)))
                                        ((= j 1) (prog1 (cdr a) (rplacd a nil)))
                                      (rplaca a i))))))))))
    (length (car l))))

;;; Timing: ITERATIONS runs (scaled by *BENCH-SCALE*, which a driver may set first), one
;;; parseable line: BENCH name seconds iterations check.
(defvar *bench-scale* 1)
(let* ((n (max 1 (round (* 600 *bench-scale*))))
       (start (get-internal-real-time))
       (result nil))
  (dotimes (i n) (setq result (destructive 600 50)))
  (format t "BENCH destru ~,4f ~d ~a~%"
          (/ (float (- (get-internal-real-time) start)) internal-time-units-per-second)
          n result))
