;;;; ctak: TAK returning through CATCH/THROW (non-local exits).
(defun ctak (x y z) (catch 'ctak (ctak-aux x y z)))
(defun ctak-aux (x y z)
  (if (not (< y x))
      (throw 'ctak z)
      (ctak-aux (catch 'ctak (ctak-aux (1- x) y z))
                (catch 'ctak (ctak-aux (1- y) z x))
                (catch 'ctak (ctak-aux (1- z) x y)))))

;;; Timing: ITERATIONS runs (scaled by *BENCH-SCALE*, which a driver may set first), one
;;; parseable line: BENCH name seconds iterations check.
(defvar *bench-scale* 1)
(let* ((n (max 1 (round (* 500 *bench-scale*))))
       (start (get-internal-real-time))
       (result nil))
  (dotimes (i n) (setq result (ctak 18 12 6)))
  (format t "BENCH ctak ~,4f ~d ~a~%"
          (/ (float (- (get-internal-real-time) start)) internal-time-units-per-second)
          n result))
