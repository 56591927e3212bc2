;;;; tests/lisp/harness.lisp -- the Lisp test harness.
;;;;
;;;; tests/lisp/run-test puts this file in front of each test file (and (FINISH-TESTS)
;;;; after it) and runs the result with `kons-lisp --script`.
;;;;   (deftest name body...)   runs BODY now; an unexpected error fails the test.
;;;;   (is form)                one assertion: FORM is true.  (is (equal a b)) and the
;;;;                            other comparisons print the value got and the expected.
;;;;   (signals type form)      FORM signals a condition of TYPE.
;;;;   (prints "text" form...)  the forms write exactly TEXT on *standard-output*.
;;;; FINISH-TESTS prints "N passed, M failed" and exits 1 when M > 0.

(defvar *tests-passed* 0)
(defvar *tests-failed* 0)
(defvar *test-name* nil)

(defun harness-exit (code)
  (let ((quit (and (find-package "KONS") (find-symbol "QUIT" "KONS")))
        (exit (and (find-package "SB-EXT") (find-symbol "EXIT" "SB-EXT"))))
    (cond ((and quit (fboundp quit)) (funcall quit code))
          (exit (funcall exit :code code :abort t))
          (t (error "harness: no way to exit with code ~D" code)))))

(defun harness-record (ok form fmt &rest args)
  (if ok
      (setq *tests-passed* (+ *tests-passed* 1))
      (progn
        (setq *tests-failed* (+ *tests-failed* 1))
        (let ((*print-length* 20) (*print-level* 6))
          (format t "~&FAIL~@[ in ~A~]: ~S~%" *test-name* form)
          (when fmt (format t "  ~?~%" fmt args)))))
  ok)

(defmacro is (form)
  (if (and (consp form)
           (member (car form) '(eq eql equal equalp = string= char= string-equal))
           (= (length form) 3))
      (let ((a (gensym)) (b (gensym)))
        `(handler-case
             (let ((,a ,(cadr form)) (,b ,(caddr form)))
               (harness-record (,(car form) ,a ,b) ',form "got ~S, expected ~S" ,a ,b))
           (error (c) (harness-record nil ',form "signalled ~A: ~A" (type-of c) c))))
      `(handler-case (harness-record ,form ',form nil)
         (error (c) (harness-record nil ',form "signalled ~A: ~A" (type-of c) c)))))

(defmacro signals (type form)
  `(handler-case (progn ,form (harness-record nil '(signals ,type ,form) "no condition signalled"))
     (,type () (harness-record t nil nil))
     (condition (c) (harness-record nil '(signals ,type ,form) "signalled ~A instead: ~A" (type-of c) c))))

(defmacro prints (expected &body forms)
  (let ((out (gensym)))
    `(handler-case
         (let ((,out (with-output-to-string (*standard-output*) ,@forms)))
           (harness-record (string= ,out ,expected) '(prints ,expected ,@forms)
                           "printed ~S" ,out))
       (error (c) (harness-record nil '(prints ,expected ,@forms) "signalled ~A: ~A" (type-of c) c)))))

(defmacro deftest (name &body body)
  `(let ((*test-name* ',name))
     (handler-case (progn ,@body)
       (error (c) (harness-record nil ',name "the test signalled ~A: ~A" (type-of c) c)))))

(defun finish-tests ()
  (format t "~&~D passed, ~D failed~%" *tests-passed* *tests-failed*)
  (finish-output)
  (harness-exit (if (> *tests-failed* 0) 1 0)))
