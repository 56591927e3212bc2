;;;; 80-misc.lisp -- stream macros, DEFPACKAGE, PRINT-UNREADABLE-OBJECT and the last
;;;; touches of the library (lisplib).  Loaded last: it leaves *PACKAGE* in CL-USER.

(setq *package* (find-package "KONS-SYSTEM"))

(defmacro with-output-to-string ((var &optional string &key element-type) &body body)
  (declare (ignore element-type))
  (if string
      (let ((s (gensym)))
        `(let ((,var (make-string-output-stream)))
           (multiple-value-prog1 (progn ,@body)
             (let ((,s (get-output-stream-string ,var)))
               (dotimes (i (length ,s)) (vector-push-extend (char ,s i) ,string))))))
      `(let ((,var (make-string-output-stream)))
         ,@body
         (get-output-stream-string ,var))))

(defmacro with-input-from-string ((var string &key index (start 0) end) &body body)
  (if index
      `(let ((,var (make-string-input-stream ,string ,start ,end)))
         (multiple-value-prog1 (progn ,@body)
           (setf ,index (%string-input-stream-position ,var))))
      `(let ((,var (make-string-input-stream ,string ,start ,end)))
         ,@body)))

(defmacro with-open-stream ((var stream) &body body)
  `(let ((,var ,stream))
     (unwind-protect (progn ,@body) (when ,var (close ,var)))))

(defmacro with-open-file ((var filespec &rest options) &body body)
  `(with-open-stream (,var (open ,filespec ,@options)) ,@body))

(%defun-if-missing prin1-to-string (x) (with-output-to-string (s) (prin1 x s)))
(%defun-if-missing princ-to-string (x) (with-output-to-string (s) (princ x s)))

(defmacro print-unreadable-object ((object stream &key type identity) &body body)
  (let ((o (gensym)) (s (gensym)))
    `(let ((,o ,object) (,s ,stream))
       (write-string "#<" ,s)
       ,@(when type `((prin1 (type-of ,o) ,s) ,@(when body `((write-char #\Space ,s)))))
       ,@body
       ,@(when identity
           `((write-char #\Space ,s) (write-string (%address-string ,o) ,s)))
       (write-string ">" ,s)
       nil)))

(defmacro defpackage (name &rest options)
  (let ((nicknames nil) (use nil) (use-given nil) (exports nil) (shadows nil) (imports nil)
        (interns nil))
    (dolist (o options)
      (case (car o)
        (:nicknames (setq nicknames (append nicknames (%mapcar1 #'string (cdr o)))))
        (:use (setq use-given t use (append use (%mapcar1 #'string (cdr o)))))
        (:export (setq exports (append exports (%mapcar1 #'string (cdr o)))))
        (:shadow (setq shadows (append shadows (%mapcar1 #'string (cdr o)))))
        (:import-from (setq imports (cons (%mapcar1 #'string (cdr o)) imports)))
        (:intern (setq interns (append interns (%mapcar1 #'string (cdr o)))))
        (t nil)))
    `(eval-when (:compile-toplevel :load-toplevel :execute)
       (%defpackage ,(string name) ',nicknames ',(if use-given use '("COMMON-LISP"))
                    ',exports ',shadows ',(nreverse imports) ',interns))))

(defun %defpackage (name nicknames use exports shadows imports interns)
  (let ((p (or (find-package name) (make-package name :use nil :nicknames nicknames))))
    (when shadows (shadow shadows p))
    (dolist (i imports)
      (let ((from (%find-package-or-lose (car i))))
        (dolist (n (cdr i))
          (multiple-value-bind (sym status) (find-symbol n from)
            (if status
                (import (list sym) p)
                (error 'package-error :package from
                       :format-control "The symbol ~A is not present in package ~A."
                       :format-arguments (list n (car i))))))))
    (dolist (u use) (use-package (%find-package-or-lose u) p))
    (dolist (n interns) (intern n p))
    (dolist (n exports) (export (list (intern n p)) p))
    p))

(setq *package* (find-package "COMMON-LISP-USER"))
