;;;; fft: radix-2 fast Fourier transform on double-float vectors (float arithmetic).
(defun fft (re im)
  (let* ((n (length re)) (j 0))
    (dotimes (i (1- n))
      (when (< i j) (rotatef (aref re i) (aref re j)) (rotatef (aref im i) (aref im j)))
      (let ((m (floor n 2)))
        (loop while (and (>= m 1) (>= j m)) do (decf j m) (setq m (floor m 2)))
        (incf j m)))
    (let ((len 2))
      (loop while (<= len n) do
        (let* ((ang (/ (* -2 pi) len)) (wr (cos ang)) (wi (sin ang)))
          (loop for i from 0 below n by len do
            (let ((cr 1d0) (ci 0d0))
              (dotimes (k (floor len 2))
                (let* ((a (+ i k)) (b (+ a (floor len 2)))
                       (tr (- (* cr (aref re b)) (* ci (aref im b))))
                       (ti (+ (* cr (aref im b)) (* ci (aref re b)))))
                  (setf (aref re b) (- (aref re a) tr) (aref im b) (- (aref im a) ti))
                  (incf (aref re a) tr) (incf (aref im a) ti)
                  (psetq cr (- (* cr wr) (* ci wi)) ci (+ (* cr wi) (* ci wr)))))))
          (setq len (* len 2)))))
    (round (aref re 1))))
(defun run-fft ()
  (let ((re (make-array 1024)) (im (make-array 1024 :initial-element 0d0)))
    (dotimes (i 1024) (setf (aref re i) (float (mod i 7) 1d0)))
    (fft re im)))

;;; Timing: ITERATIONS runs (scaled by *BENCH-SCALE*, which a driver may set first), one
;;; parseable line: BENCH name seconds iterations check.
(defvar *bench-scale* 1)
(let* ((n (max 1 (round (* 400 *bench-scale*))))
       (start (get-internal-real-time))
       (result nil))
  (dotimes (i n) (setq result (run-fft)))
  (format t "BENCH fft ~,4f ~d ~a~%"
          (/ (float (- (get-internal-real-time) start)) internal-time-units-per-second)
          n result))
