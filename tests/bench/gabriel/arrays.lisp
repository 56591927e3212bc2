;;;; arrays: matrix multiplication and a sieve on general arrays (AREF, (SETF AREF)).
(defun make-matrix (n seed)
  (let ((m (make-array (list n n))))
    (dotimes (i n m) (dotimes (j n) (setf (aref m i j) (mod (+ (* i seed) j) 10))))))
(defun matmul (a b n)
  (let ((c (make-array (list n n) :initial-element 0)))
    (dotimes (i n c)
      (dotimes (j n)
        (let ((s 0))
          (dotimes (k n) (setq s (+ s (* (aref a i k) (aref b k j)))))
          (setf (aref c i j) s))))))
(defun sieve (n)
  (let ((v (make-array (1+ n) :initial-element t)) (count 0))
    (loop for i from 2 to n
          when (aref v i) do (incf count) (loop for j from (* i i) to n by i do (setf (aref v j) nil)))
    count))
(defvar *ma* (make-matrix 40 3))
(defvar *mb* (make-matrix 40 7))
(defun run-arrays () (+ (aref (matmul *ma* *mb* 40) 39 39) (sieve 20000)))

;;; Timing: ITERATIONS runs (scaled by *BENCH-SCALE*, which a driver may set first), one
;;; parseable line: BENCH name seconds iterations check.
(defvar *bench-scale* 1)
(let* ((n (max 1 (round (* 600 *bench-scale*))))
       (start (get-internal-real-time))
       (result nil))
  (dotimes (i n) (setq result (run-arrays)))
  (format t "BENCH arrays ~,4f ~d ~a~%"
          (/ (float (- (get-internal-real-time) start)) internal-time-units-per-second)
          n result))
