;;;; fread: reading back a large printed nested list from a string.
(defun make-tree (depth width)
  (if (= depth 0) 'leaf-symbol
      (loop for i below width collect (if (evenp i) (make-tree (1- depth) width) (list i "str" 15)))))
(defvar *text* (with-output-to-string (s) (prin1 (make-tree 5 5) s)))
(defun count-leaves (x) (if (atom x) 1 (+ (count-leaves (car x)) (count-leaves (cdr x)))))
(defun run-fread () (count-leaves (read-from-string *text*)))

;;; Timing: ITERATIONS runs (scaled by *BENCH-SCALE*, which a driver may set first), one
;;; parseable line: BENCH name seconds iterations check.
(defvar *bench-scale* 1)
(let* ((n (max 1 (round (* 2500 *bench-scale*))))
       (start (get-internal-real-time))
       (result nil))
  (dotimes (i n) (setq result (run-fread)))
  (format t "BENCH fread ~,4f ~d ~a~%"
          (/ (float (- (get-internal-real-time) start)) internal-time-units-per-second)
          n result))
