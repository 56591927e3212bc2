;;;; 50-conditions.lisp -- the condition system (lisplib): condition types with SBCL's
;;;; report texts, MAKE-CONDITION, SIGNAL, ERROR, CERROR, WARN, handlers, restarts, the
;;;; debugger entry, and SYS:%SIGNAL-C-ERROR, the entry point of errors signalled from C.
;;;;
;;;; Handlers: *HANDLER-CLUSTERS* is a list of clusters, innermost first; a cluster is a
;;;; list of (type . function).  While a handler runs, the clusters inside and including
;;;; its own are disabled (*HANDLER-CLUSTERS* is rebound to the outer ones).
;;;; Restarts: *RESTART-CLUSTERS* likewise holds lists of RESTART structures.

(setq *package* (find-package "KONS-SYSTEM"))

(defvar *handler-clusters* nil)
(defvar *restart-clusters* nil)
(defvar *condition-reports* (make-hash-table :test 'eq))
(defvar *break-on-signals* nil)
(defvar *debugger-hook* nil)
(defvar %unbound (list '%unbound))

;;; Condition layouts: slots are (name initform-function initargs); initform-function is
;;; nil or a function of no arguments.
(defun %define-condition-layout (name parents slots)
  (let ((ancestors (list name)) (all-slots nil))
    (dolist (p parents)
      (let ((pl (or (%find-layout p) (error "~S is not a defined condition type." p))))
        (dolist (a (%layout-ancestors pl))
          (unless (member a ancestors) (setq ancestors (append ancestors (list a)))))
        (dolist (s (%layout-slots pl))
          (unless (assoc (car s) all-slots) (setq all-slots (append all-slots (list s)))))))
    (dolist (s slots)
      (let ((old (assoc (car s) all-slots)))
        (if old
            (setq all-slots (%mapcar1 (lambda (x) (if (eq x old) s x)) all-slots))
            (setq all-slots (append all-slots (list s))))))
    (let ((l (vector name ancestors all-slots :condition nil)))
      (%puthash name *layouts* l)
      l)))

(defun %condition-slot-index (c slot)
  (let ((i 0))
    (dolist (s (%layout-slots (%instance-layout c))
               (error "The condition ~S has no slot ~S." (type-of c) slot))
      (when (eq (car s) slot) (return i))
      (setq i (+ i 1)))))

(defun %condition-slot (c slot)
  (let ((v (%instance-ref c (%condition-slot-index c slot))))
    (if (eq v %unbound)
        (error 'unbound-slot :name slot :instance c)
        v)))

(defun %condition-slot-boundp (c slot)
  (not (eq (%instance-ref c (%condition-slot-index c slot)) %unbound)))

(defun %set-condition-slot (c slot v)
  (%instance-set c (%condition-slot-index c slot) v)
  v)

(defvar *condition-default-initargs* (make-hash-table :test 'eq))

(defun make-condition (type &rest initargs)
  (let ((l (%find-layout type)))
    ;; :DEFAULT-INITARGS of the type and its ancestors come after the given ones.
    (when l
      (dolist (a (%layout-ancestors l))
        (let ((d (gethash a *condition-default-initargs*)))
          (when d (setq initargs (append initargs (funcall d)))))))
    (unless (and l (eq (%layout-kind l) :condition))
      (error 'simple-type-error :datum type :expected-type '(satisfies %condition-type-p)
                                :format-control "~S is not a condition class."
                                :format-arguments (list type)))
    (let* ((slots (%layout-slots l)) (c (%make-instance l (length slots))) (i 0))
      (dolist (s slots c)
        (let ((v %unbound))
          (do ((p initargs (cddr p))) ((null p))
            (when (member (car p) (caddr s)) (setq v (cadr p)) (return)))
          (when (and (eq v %unbound) (cadr s)) (setq v (funcall (cadr s))))
          (%instance-set c i v))
        (setq i (+ i 1))))))

(defun %condition-type-p (name)
  (let ((l (%find-layout name))) (and l (eq (%layout-kind l) :condition))))

(defun %conditionp (x)
  (and (%instancep x) (simple-vector-p (%instance-layout x))
       (eq (%layout-kind (%instance-layout x)) :condition)))

(defmacro define-condition (name parents slot-specs &rest options)
  (let ((slots nil) (readers nil) (report nil))
    (dolist (spec slot-specs)
      (let* ((sname (if (consp spec) (car spec) spec)) (opts (if (consp spec) (cdr spec) nil))
             (initargs nil) (initform nil))
        (do ((o opts (cddr o))) ((null o))
          (case (car o)
            (:initarg (setq initargs (cons (cadr o) initargs)))
            (:initform (setq initform `(lambda () ,(cadr o))))
            (:reader (setq readers (cons `(defun ,(cadr o) (c) (%condition-slot c ',sname)) readers)))
            (:accessor
             (setq readers (cons `(defun ,(cadr o) (c) (%condition-slot c ',sname)) readers))
             (setq readers (cons `(defsetf ,(cadr o) (c) (v) (list '%set-condition-slot c '',sname v))
                                 readers)))
            (:writer
             (setq readers (cons `(defun ,(cadr o) (v c) (%set-condition-slot c ',sname v)) readers)))))
        (setq slots (cons `(list ',sname ,initform ',(nreverse initargs)) slots))))
    (dolist (o options)
      (when (eq (car o) :default-initargs)
        (setq readers
              (cons `(%puthash ',name *condition-default-initargs*
                               (lambda () (list ,@(cdr o))))
                    readers)))
      (when (eq (car o) :report)
        (setq report (if (stringp (cadr o))
                         `(lambda (c s) (declare (ignore c)) (write-string ,(cadr o) s))
                         `(function ,(cadr o))))))
    `(progn
       (%define-condition-layout ',name ',(or parents '(condition)) (list ,@(nreverse slots)))
       ,@(when report `((%puthash ',name *condition-reports* ,report)))
       ,@(nreverse readers)
       ',name)))

;;; Printing: a condition prints as its report when *PRINT-ESCAPE* is nil.
(defun %prin1-qualified (sym stream)
  ;; SBCL names types and functions in reports with their package prefix unless they
  ;; are in COMMON-LISP or KEYWORD.
  (let ((p (and (symbolp sym) (symbol-package sym))))
    (if (or (null p) (not (symbolp sym)) (eq p (find-package "COMMON-LISP"))
            (eq p (find-package "KEYWORD")))
        (prin1 sym stream)
        (let ((*package* (find-package "KEYWORD")))
          (prin1 sym stream)))))

(defun %print-condition (c stream)
  (if *print-escape*
      ;; As SBCL: #<SIMPLE-ERROR "control" {1001AB2C43}>, #<TYPE-ERROR {1001AB2C43}>.
      (progn (write-string "#<" stream)
             (prin1 (type-of c) stream)
             (when (and (%instance-of-p c 'simple-condition)
                        (stringp (simple-condition-format-control c)))
               (write-char #\Space stream)
               (prin1 (simple-condition-format-control c) stream))
             (write-char #\Space stream)
             (write-string (%address-string c) stream)
             (write-string ">" stream))
      (%report-condition c stream)))

(defun %address-string (x)
  ;; "{1001AB2C43}", as SBCL prints identities.
  (if (fboundp '%print-address) (%print-address x) "{0}"))

(defun %report-condition (c stream)
  (let ((l (%instance-layout c)))
    (if (and (%condition-slot-boundp c '%message) (%condition-slot c '%message)
             (not (and (%instance-of-p c 'type-error) (%condition-slot-boundp c 'datum)
                       (not (%instance-of-p c 'simple-condition)))))
        (write-string (%condition-slot c '%message) stream)
        (dolist (a (%layout-ancestors l)
                   (progn (write-string "Condition " stream)
                          (%prin1-qualified (%layout-name l) stream)
                          (write-string " was signalled." stream)))
          (let ((r (gethash a *condition-reports*)))
            (when r (funcall r c stream) (return)))))))

;;; The standard condition types.
(%define-condition-layout 'condition nil (list (list '%message nil '(:%message))))
(define-condition warning (condition) ())
(define-condition style-warning (warning) ())
(define-condition serious-condition (condition) ())
(define-condition error (serious-condition) ())
(define-condition simple-condition (condition)
  ((format-control :initarg :format-control :initform nil :reader simple-condition-format-control)
   (format-arguments :initarg :format-arguments :initform nil
                     :reader simple-condition-format-arguments))
  (:report (lambda (c s)
             (apply #'format s (simple-condition-format-control c)
                    (simple-condition-format-arguments c)))))
(define-condition simple-warning (simple-condition warning) ())
(define-condition simple-error (simple-condition error) ())
(define-condition storage-condition (serious-condition) ())
(define-condition type-error (error)
  ((datum :initarg :datum :reader type-error-datum)
   (expected-type :initarg :expected-type :reader type-error-expected-type))
  (:report (lambda (c s)
             (format s "The value ~S is not of type ~S"
                     (type-error-datum c) (type-error-expected-type c)))))
(define-condition simple-type-error (simple-condition type-error) ())
(define-condition program-error (error) ())
(define-condition control-error (error) ())
(define-condition parse-error (error) ())
(define-condition cell-error (error) ((name :initarg :name :reader cell-error-name)))
(define-condition unbound-variable (cell-error) ()
  (:report (lambda (c s) (format s "The variable ~S is unbound." (cell-error-name c)))))
(define-condition undefined-function (cell-error) ()
  (:report (lambda (c s)
             (write-string "The function " s)
             (%prin1-qualified (cell-error-name c) s)
             (write-string " is undefined." s))))
(define-condition unbound-slot (cell-error) ((instance :initarg :instance :reader unbound-slot-instance))
  (:report (lambda (c s)
             (format s "The slot ~S is unbound in the object ~S."
                     (cell-error-name c) (unbound-slot-instance c)))))
(define-condition arithmetic-error (error)
  ((operation :initarg :operation :initform nil :reader arithmetic-error-operation)
   (operands :initarg :operands :initform nil :reader arithmetic-error-operands))
  (:report (lambda (c s)
             (format s "arithmetic error ~S signalled" (type-of c))
             (when (arithmetic-error-operation c)
               (format s "~%Operation was (~S~{ ~S~})."
                       (arithmetic-error-operation c) (arithmetic-error-operands c))))))
(define-condition division-by-zero (arithmetic-error) ())
(define-condition floating-point-overflow (arithmetic-error) ())
(define-condition floating-point-underflow (arithmetic-error) ())
(define-condition floating-point-inexact (arithmetic-error) ())
(define-condition floating-point-invalid-operation (arithmetic-error) ())
(define-condition package-error (error) ((package :initarg :package :reader package-error-package)))
(define-condition stream-error (error) ((stream :initarg :stream :reader stream-error-stream)))
(define-condition end-of-file (stream-error) ()
  (:report (lambda (c s) (format s "end of file on ~S" (stream-error-stream c)))))
(define-condition reader-error (parse-error stream-error) ()
  (:report (lambda (c s) (format s "READER-ERROR Stream: ~S" (stream-error-stream c)))))
(define-condition file-error (error) ((pathname :initarg :pathname :reader file-error-pathname))
  (:report (lambda (c s) (format s "error on file ~S" (file-error-pathname c)))))
(define-condition print-not-readable (error) ((object :initarg :object :reader print-not-readable-object))
  (:report (lambda (c s) (format s "~S cannot be printed readably." (print-not-readable-object c)))))
(define-condition case-failure (type-error)
  ((name :initarg :name :reader case-failure-name)
   (possibilities :initarg :possibilities :reader case-failure-possibilities))
  (:report (lambda (c s)
             (format s "~S fell through ~S expression. Wanted one of ~S."
                     (type-error-datum c) (case-failure-name c) (case-failure-possibilities c)))))

(defun %case-failure (datum name keys)
  (error 'case-failure :datum datum :name name :possibilities keys
                       :expected-type (if (member name '(etypecase ctypecase))
                                          `(or ,@keys)
                                          `(member ,@keys))))

;;; Restarts.
(defstruct (restart (:constructor %make-restart (name function report-function
                                                      interactive-function test-function))
                    (:print-function %print-restart))
  name function report-function interactive-function test-function (conditions nil))

(defun %print-restart (r stream depth)
  (declare (ignore depth))
  (if *print-escape*
      (progn (write-string "#<RESTART " stream) (prin1 (restart-name r) stream)
             (write-char #\Space stream) (write-string (%address-string r) stream)
             (write-string ">" stream))
      (let ((rf (restart-report-function r)))
        (cond ((stringp rf) (write-string rf stream))
              (rf (funcall rf stream))
              (t (prin1 (restart-name r) stream))))))

(defun %restart-applicable-p (r condition)
  (and (or (null condition) (null (restart-conditions r))
           (member condition (restart-conditions r)))
       (or (null (restart-test-function r)) (funcall (restart-test-function r) condition))))

(defun compute-restarts (&optional condition)
  (let ((r nil))
    (dolist (cluster *restart-clusters* (nreverse r))
      (dolist (x cluster)
        (when (%restart-applicable-p x condition) (setq r (cons x r)))))))

(defun find-restart (identifier &optional condition)
  (dolist (cluster *restart-clusters* nil)
    (dolist (x cluster)
      (when (and (or (eq x identifier) (and (symbolp identifier) (eq (restart-name x) identifier)))
                 (%restart-applicable-p x condition))
        (return-from find-restart x)))))

(defun %find-restart-or-lose (identifier condition)
  (or (if (restart-p identifier) identifier (find-restart identifier condition))
      (error 'control-error :format-control "No restart ~S is active."
                            :format-arguments (list identifier))))

(defun invoke-restart (restart &rest args)
  (apply (restart-function (%find-restart-or-lose restart nil)) args))

(defun invoke-restart-interactively (restart)
  (let* ((r (%find-restart-or-lose restart nil)) (i (restart-interactive-function r)))
    (apply (restart-function r) (if i (funcall i) nil))))

(defmacro restart-bind (bindings &body body)
  `(let ((*restart-clusters*
           (cons (list ,@(%mapcar1 (lambda (b)
                                     `(%make-restart ',(car b) ,(cadr b)
                                                     ,(getf (cddr b) :report-function)
                                                     ,(getf (cddr b) :interactive-function)
                                                     ,(getf (cddr b) :test-function)))
                                   bindings))
                 *restart-clusters*)))
     ,@body))

(defmacro with-condition-restarts (condition restarts &body body)
  (let ((c (gensym)) (rs (gensym)))
    `(let ((,c ,condition) (,rs ,restarts))
       (dolist (r ,rs) (setf (restart-conditions r) (cons ,c (restart-conditions r))))
       (unwind-protect (progn ,@body)
         (dolist (r ,rs) (setf (restart-conditions r) (remove ,c (restart-conditions r))))))))

(defun %restart-case-signal-form (form env)
  ;; SIGNAL, ERROR, CERROR and WARN forms get their condition associated with the
  ;; restarts (CLHS RESTART-CASE); returns the rewritten form or nil.
  (let ((f (macroexpand form env)))
    (when (and (consp f) (member (car f) '(signal error cerror warn)))
      (let ((c (gensym "COND")))
        (list c
              (if (eq (car f) 'cerror)
                  `(%coerce-to-condition ,(caddr f) (list ,@(cdddr f)) 'simple-error 'cerror)
                  `(%coerce-to-condition ,(cadr f) (list ,@(cddr f))
                                         ',(if (eq (car f) 'warn) 'simple-warning
                                               (if (eq (car f) 'signal) 'simple-condition 'simple-error))
                                         ',(car f)))
              (if (eq (car f) 'cerror)
                  `(cerror ,(cadr f) ,c)
                  `(,(car f) ,c)))))))

(defmacro restart-case (form &rest clauses &environment env)
  (let ((block (gensym "RESTART-CASE")) (args (gensym "ARGS")) (tags nil) (bindings nil)
        (bodies nil) (sig (%restart-case-signal-form form env)))
    (dolist (c clauses)
      (let ((tag (gensym "RESTART")) (name (car c)) (ll (cadr c)) (rest (cddr c))
            (report nil) (interactive nil) (test nil))
        (do () ((not (and (consp rest) (member (car rest) '(:report :interactive :test)))))
          (case (car rest)
            (:report (setq report (if (stringp (cadr rest))
                                      (cadr rest)
                                      `(function ,(cadr rest)))))
            (:interactive (setq interactive `(function ,(cadr rest))))
            (:test (setq test `(function ,(cadr rest)))))
          (setq rest (cddr rest)))
        (setq tags (cons tag tags))
        (setq bindings (cons `(,name (lambda (&rest temp) (rplaca ,args temp) (go ,tag))
                                     :report-function ,report
                                     :interactive-function ,interactive
                                     :test-function ,test)
                             bindings))
        (setq bodies (cons `(,tag (return-from ,block (apply (lambda ,ll ,@rest) (car ,args)))) bodies))))
    (setq bindings (nreverse bindings) bodies (nreverse bodies))
    ;; The restart functions store their arguments in a cons (ARGS), not in an assigned
    ;; variable: closures then capture no mutable binding.
    `(block ,block
       (let ((,args (list nil)))
         (tagbody
            (return-from ,block
              (restart-bind ,bindings
                ,(if sig
                     `(let ((,(car sig) ,(cadr sig)))
                        (with-condition-restarts ,(car sig) (car *restart-clusters*)
                          ,(caddr sig)))
                     form)))
            ,@(apply #'append bodies))))))

(defmacro with-simple-restart ((name format-control &rest args) &body body)
  `(restart-case (progn ,@body)
     (,name () :report (lambda (s) (format s ,format-control ,@args)) (values nil t))))

(defun abort (&optional condition)
  (invoke-restart (%find-restart-or-lose 'abort condition))
  (error 'control-error :format-control "ABORT restart returned."))
(defun continue (&optional condition)
  (let ((r (find-restart 'continue condition))) (when r (invoke-restart r))))
(defun muffle-warning (&optional condition)
  (invoke-restart (%find-restart-or-lose 'muffle-warning condition)))
(defun store-value (value &optional condition)
  (let ((r (find-restart 'store-value condition))) (when r (invoke-restart r value))))
(defun use-value (value &optional condition)
  (let ((r (find-restart 'use-value condition))) (when r (invoke-restart r value))))

;;; Handlers.
(defmacro handler-bind (bindings &body body)
  `(let ((*handler-clusters*
           (cons (list ,@(%mapcar1 (lambda (b) `(cons ',(car b) ,(cadr b))) bindings))
                 *handler-clusters*)))
     ,@body))

(defmacro handler-case (form &rest clauses)
  (let* ((no-error (find :no-error clauses :key #'car))
         (clauses (remove no-error clauses))
         (block (gensym "HANDLER-CASE")) (cvar (gensym "C"))
         (tagged (%mapcar1 (lambda (c) (cons (gensym "HANDLER") c)) clauses)))
    (if no-error
        (let ((normal (gensym "NORMAL")))
          `(block ,block
             (multiple-value-call (lambda ,(cadr no-error) ,@(cddr no-error))
               (block ,normal
                 (return-from ,block (handler-case (return-from ,normal ,form) ,@clauses))))))
        ;; The condition is passed through a cons (CVAR), not an assigned variable.
        `(block ,block
           (let ((,cvar (list nil)))
             (declare (ignorable ,cvar))
             (tagbody
                (return-from ,block
                  (handler-bind ,(%mapcar1 (lambda (tc)
                                             `(,(cadr tc) (lambda (temp) (rplaca ,cvar temp) (go ,(car tc)))))
                                           tagged)
                    ,form))
                ,@(apply #'append
                         (%mapcar1 (lambda (tc)
                                     (let ((ll (caddr tc)) (body (cdddr tc)))
                                       (list (car tc)
                                             `(return-from ,block
                                                ,(if ll
                                                     `(let ((,(car ll) (car ,cvar))) ,@body)
                                                     `(locally ,@body))))))
                                   tagged))))))))

(defmacro ignore-errors (&body forms)
  `(handler-case (progn ,@forms) (error (c) (values nil c))))

(defun %coerce-to-condition (datum args default-type caller)
  (cond ((%conditionp datum) datum)
        ((symbolp datum) (apply #'make-condition datum args))
        ((or (stringp datum) (functionp datum))
         (make-condition default-type :format-control datum :format-arguments args))
        (t (error 'simple-type-error :datum datum :expected-type '(or symbol string condition)
                                     :format-control "Bad argument to ~S: ~S"
                                     :format-arguments (list caller datum)))))

(defun signal (datum &rest args)
  (let ((c (%coerce-to-condition datum args 'simple-condition 'signal)))
    (when (and *break-on-signals* (typep c *break-on-signals*))
      (invoke-debugger c))
    (do ((clusters *handler-clusters* (cdr clusters))) ((null clusters))
      (let ((*handler-clusters* (cdr clusters)))
        (dolist (h (car clusters))
          (when (typep c (car h)) (funcall (cdr h) c)))))
    nil))

(defun error (datum &rest args)
  (let ((c (%coerce-to-condition datum args 'simple-error 'error)))
    (signal c)
    (invoke-debugger c)))

(defun cerror (continue-format datum &rest args)
  (let ((c (%coerce-to-condition datum args 'simple-error 'cerror)))
    (restart-case (error c)
      (continue () :report (lambda (s) (apply #'format s continue-format args)) nil))
    nil))

(defun warn (datum &rest args)
  (let ((c (%coerce-to-condition datum args 'simple-warning 'warn)))
    (restart-case
        (progn
          (signal c)
          (format *error-output* "~&WARNING: ~A~%" c))
      (muffle-warning () :report "Skip warning." nil))
    nil))

(defun invoke-debugger (condition)
  (when *debugger-hook*
    (let ((hook *debugger-hook*) (*debugger-hook* nil))
      (funcall hook condition hook)))
  (if (fboundp '%invoke-debugger-hook)
      (funcall '%invoke-debugger-hook condition)
      (progn
        (format *error-output* "~&Unhandled ~S: ~A~%" (type-of condition) condition)
        (let ((quit (find-symbol "QUIT" "KONS")))
          (if (and quit (fboundp quit)) (funcall quit 1) (throw '%toplevel nil))))))

(defun break (&optional (format-control "Break") &rest args)
  (with-simple-restart (continue "Return from BREAK.")
    (let ((*debugger-hook* nil))
      (invoke-debugger (make-condition 'simple-condition :format-control format-control
                                                         :format-arguments args))))
  nil)

;;; Errors from C (rt/error.h): TYPE-NAME names a condition type in COMMON-LISP (or
;;; KONS-SYSTEM), MESSAGE is the text C formatted, INITARGS its type-specific initargs.
(defun %signal-c-error (type-name message initargs)
  (let* ((type (find-symbol type-name "KONS-SYSTEM"))
         (type (if (and type (%condition-type-p type)) type 'simple-error))
         (initargs (if (and (eq type 'type-error) (stringp (getf initargs :expected-type)))
                       (%putf (copy-list initargs) :expected-type
                              (ignore-errors (read-from-string (getf initargs :expected-type))))
                       initargs)))
    ;; Until every C caller passes :NAME, the name of an undefined function or unbound
    ;; variable is read back from the message ("The function X is undefined.").
    (when (and (member type '(undefined-function unbound-variable))
               (not (getf initargs :name)))
      (let* ((start (position #\Space message :start (+ (or (position #\Space message) 0) 1)))
             (end (search " is " message :from-end t)))
        (when (and start end (< start end))
          (setq initargs (list* :name (ignore-errors (read-from-string message t nil :start (+ start 1) :end end))
                                initargs)))))
    (error (apply #'make-condition type :%message message
                  (if (subtypep type 'simple-condition)
                      (append initargs (list :format-control "~A" :format-arguments (list message)))
                      initargs)))))

;;; The storage-conditions of running out of heap or stack, made now: when either runs
;;; out, making a condition is what there may be no room for (the C side signals these
;;; same objects each time).
(%set-exhaustion-conditions
 (make-condition 'storage-condition :%message "Heap exhausted (the limit is set by --heap-size).")
 (make-condition 'storage-condition
                 :%message "Control stack exhausted (no more space for function call frames)."))

;;; Macros that signal.
(defmacro assert (test &optional places datum &rest args)
  (declare (ignore places))
  `(do () (,test nil)
     (cerror "Retry assertion."
             ,@(if datum
                   `(,datum ,@args)
                   `('simple-error :format-control "The assertion ~S failed."
                                   :format-arguments '(,test))))))

(defmacro check-type (place type &optional type-string)
  (let ((v (gensym)))
    `(do ((,v ,place ,place)) ((typep ,v ',type) nil)
       (restart-case
           (error 'simple-type-error
                  :datum ,v :expected-type ',type
                  :format-control ,(if type-string
                                       "The value of ~S is ~S, which is not ~A."
                                       "The value of ~S is ~S, which is not of type ~S.")
                  :format-arguments (list ',place ,v ,(or type-string `',type)))
         (store-value (new) :report (lambda (s) (format s "Supply a new value for ~S." ',place))
           (setf ,place new))))))

(defmacro ccase (keyplace &rest clauses)
  (let ((k (gensym)) (b (gensym)))
    `(block ,b
       (do () (nil)
         (let ((,k ,keyplace))
           (restart-case
               (return-from ,b
                 (cond ,@(%case-clauses k clauses)
                       (t (%case-failure ,k 'ccase ',(%case-keys clauses)))))
             (store-value (new) (setf ,keyplace new))))))))

(defmacro ctypecase (keyplace &rest clauses)
  (let ((k (gensym)) (b (gensym)))
    `(block ,b
       (do () (nil)
         (let ((,k ,keyplace))
           (restart-case
               (return-from ,b
                 (cond ,@(%mapcar1 (lambda (c) `((typep ,k ',(car c)) nil ,@(cdr c))) clauses)
                       (t (%case-failure ,k 'ctypecase ',(%mapcar1 #'car clauses)))))
             (store-value (new) (setf ,keyplace new))))))))
