;;;; gc.lisp -- the collector seen from Lisp: KONS:GC, weak hash tables (entries of
;;;; unreachable keys or values go away, in minor collections as in full ones, and
;;;; reachable ones stay), data surviving collections intact.

(defun gc-fill-weak (table n)
  ;; keys made here and dropped on return: only the table refers to them
  (dotimes (i n) (setf (gethash (list i) table) i)))

;;; Under KONS_GC_TORTURE every allocation collects and promotes what is still held, so
;;; garbage is old by the time it is dropped and only a full collection frees it.
(defun gc-torture-p ()
  (let ((n (kons:posix-getenv "KONS_GC_TORTURE")))
    (and n (plusp (length n)))))
(defun gc-full-if-torture ()
  (when (gc-torture-p) (kons:gc :full t)))

(deftest gc-weak-key-table-minor
  (let ((table (make-hash-table :test 'eq :weakness :key))
        (kept (list :kept)))
    (setf (gethash kept table) :value)
    (gc-fill-weak table 100)
    (unless (gc-torture-p)   ; under torture, collections during the fill free keys already
      (is (= (hash-table-count table) 101)))
    (kons:gc)
    (gc-full-if-torture)
    (is (= (hash-table-count table) 1))
    (is (eq (gethash kept table) :value))))

(deftest gc-weak-key-table-full
  (let ((table (make-hash-table :test 'equal :weakness :key)))
    (gc-fill-weak table 50)
    (kons:gc :full t)
    (is (= (hash-table-count table) 0))
    (setf (gethash "x" table) 1)
    (is (eql (gethash "x" table) 1))))

;;; Garbage is made in functions of its own: a dead local of the running frame may
;;; still sit in the frame's stack slots, which the collector scans (precisely, as slots).
(defun gc-put-fresh-value (table key) (setf (gethash key table) (list 4 5 6)) nil)
(defun gc-put-ephemeron (table) (let ((k (list :k))) (setf (gethash k table) (list :v k))) nil)

(deftest gc-weak-value-table
  (let ((table (make-hash-table :weakness :value))
        (kept (list 1 2 3)))
    (setf (gethash 1 table) kept)
    (gc-put-fresh-value table 2)
    (kons:gc)
    (gc-full-if-torture)
    (is (equal (gethash 1 table) '(1 2 3)))
    (is (null (nth-value 1 (gethash 2 table))))
    (is (= (hash-table-count table) 1))))

(deftest gc-ephemeron-value-refers-to-key
  ;; the value holds its own key: the pair must still die when nothing else holds the key
  (let ((table (make-hash-table :test 'eq :weakness :key)))
    (gc-put-ephemeron table)
    (kons:gc)
    (unless (gc-torture-p)          ; young then: the minor collection decides the pair
      (is (= (hash-table-count table) 0)))
    (kons:gc :full t)
    (is (= (hash-table-count table) 0))))

(deftest gc-data-survives-collections
  (let ((l (loop for i below 10000 collect (cons i (format nil "~d" i)))))
    (kons:gc)
    (kons:gc :full t)
    (is (= (length l) 10000))
    (is (equal (nth 9999 l) '(9999 . "9999")))
    (is (= (loop for (n . s) in l sum (if (= n (parse-integer s)) 1 0)) 10000))))

(deftest gc-posix-getenv
  (is (stringp (kons:posix-getenv "PATH")))
  (is (null (kons:posix-getenv "KONS_SURELY_UNSET_VARIABLE")))
  (signals type-error (kons:posix-getenv 42)))

(deftest gc-bad-arguments
  (signals program-error (kons:gc :partial t))
  (signals program-error (kons:gc :full)))

(deftest gc-old-weak-table-with-young-values
  ;; a big old weak table (its rack spans many pages) gets young values here and there:
  ;; the minor GC decides only the pairs on remembered pages, and must keep every young
  ;; value whose key lives (pairs straddle page boundaries too)
  (let* ((keys (coerce (loop for i below 20000 collect (list i)) 'vector))
         (table (make-hash-table :test 'eq :weakness :key)))
    (loop for k across keys do (setf (gethash k table) 0))
    (kons:gc :full t)
    (loop for i from 0 below 20000 by 7
          do (setf (gethash (aref keys i) table) (list i (make-string 3 :initial-element #\v))))
    (kons:gc)
    (is (= (hash-table-count table) 20000))
    (is (loop for i from 0 below 20000
              always (let ((v (gethash (aref keys i) table)))
                       (if (zerop (mod i 7))
                           (and (consp v) (= (first v) i) (string= (second v) "vvv"))
                           (eql v 0)))))
    (kons:gc :full t)
    (is (= (hash-table-count table) 20000))))
