;;;; 00-kernel.lisp -- the kernel of the Lisp library (rt-vm).
;;;;
;;;; What the library files (10-*.lisp and later) may use from the start:
;;;;  - the 25 special operators, compiled natively by runtime/compiler.c;
;;;;  - DEFUN, DEFMACRO (full macro lambda lists: destructuring, &whole, &body,
;;;;    &environment), LAMBDA, DESTRUCTURING-BIND and backquote (SYS:QUASIQUOTE),
;;;;    written in C (runtime/vm_prims.c) so that they exist before any Lisp is loaded;
;;;;  - DECLARE SPECIAL (bound and free declarations), SYS:%PROCLAIM-SPECIAL,
;;;;    SYS:%PROCLAIM-CONSTANT, PROCLAIM of (SPECIAL ...);
;;;;  - every C primitive of every module.
;;;; Everything else (WHEN, COND, DEFVAR, the condition system...) is the library's.

(setq *package* (find-package "KONS-SYSTEM"))

;;; The printer calls this for functions: #<FUNCTION NAME> as SBCL prints them is done
;;; in C (vm_prims.c); nothing to do here yet.

;;; KONS:WITH-MUTEX: the body with the mutex held, released on any exit.
(defmacro kons::with-mutex ((mutex) &body body)
  (let ((m (gensym "MUTEX")))
    `(let ((,m ,mutex))
       (kons:grab-mutex ,m)
       (unwind-protect (progn ,@body) (kons:release-mutex ,m)))))
(export (intern "WITH-MUTEX" "KONS") "KONS")
