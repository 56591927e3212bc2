;;;; strings: building, searching, comparing and case-converting strings.
(defun run-strings ()
  (let ((words nil) (total 0))
    (dotimes (i 500)
      (push (concatenate 'string "word" (princ-to-string i) "-" (string-upcase "suffix")) words))
    (dolist (w words)
      (incf total (length w))
      (when (search "9" w) (incf total))
      (when (string< w "word250") (incf total))
      (incf total (count #\D w)))
    (let ((s (make-string 2000 :initial-element #\a)))
      (dotimes (i 2000) (setf (char s i) (code-char (+ 97 (mod i 26)))))
      (incf total (length (remove #\e (string-upcase s))))
      (incf total (position #\z s)))
    total))

;;; Timing: ITERATIONS runs (scaled by *BENCH-SCALE*, which a driver may set first), one
;;; parseable line: BENCH name seconds iterations check.
(defvar *bench-scale* 1)
(let* ((n (max 1 (round (* 1800 *bench-scale*))))
       (start (get-internal-real-time))
       (result nil))
  (dotimes (i n) (setq result (run-strings)))
  (format t "BENCH strings ~,4f ~d ~a~%"
          (/ (float (- (get-internal-real-time) start)) internal-time-units-per-second)
          n result))
