;;;; fprint: printing a large nested list to a string stream.
(defun make-tree (depth width)
  (if (= depth 0) 'leaf-symbol
      (loop for i below width collect (if (evenp i) (make-tree (1- depth) width) (list i "str" 1.5)))))
(defvar *tree* (make-tree 5 5))
(defun run-fprint () (let ((*print-pretty* nil)) (length (with-output-to-string (s) (prin1 *tree* s)))))

;;; Timing: ITERATIONS runs (scaled by *BENCH-SCALE*, which a driver may set first), one
;;; parseable line: BENCH name seconds iterations check.
(defvar *bench-scale* 1)
(let* ((n (max 1 (round (* 1000 *bench-scale*))))
       (start (get-internal-real-time))
       (result nil))
  (dotimes (i n) (setq result (run-fprint)))
  (format t "BENCH fprint ~,4f ~d ~a~%"
          (/ (float (- (get-internal-real-time) start)) internal-time-units-per-second)
          n result))
