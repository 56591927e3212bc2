;;;; 60-loop.lisp -- LOOP (lisplib): the simple form and the extended form's common
;;;; clauses: named, with, for/as (in on across = then from upfrom downfrom to upto below
;;;; downto above by, being the hash-keys/hash-values of ... using), repeat, collect
;;;; append nconc sum count maximize minimize (into), do, when/if/unless ... and ... else
;;;; ... end, while, until, always, never, thereis, return, initially, finally.
;;;;
;;;; Expansion: (block NAME (let* (VARS) (tagbody INITIALLY top TESTS+BODY STEPS (go top)
;;;; end FINALLY (return-from NAME RESULT)))).  Each FOR clause puts its termination test
;;;; and variable update at the place it appears in the body and its stepping at the end.

(setq *package* (find-package "KONS-SYSTEM"))

(defvar *loop-tokens*)      ; the clauses left to parse
(defvar *loop-bindings*)    ; reversed list of (var init)
(defvar *loop-body*)        ; reversed list of forms
(defvar *loop-steps*)       ; reversed list of forms
(defvar *loop-initially*)
(defvar *loop-finally*)
(defvar *loop-result*)      ; the form returned at normal end
(defvar *loop-name*)
(defvar *loop-end-tag*)
(defvar *loop-accumulators*) ; list of (name kind var tailvar)
(defvar *loop-group-steps* :none) ; in a FOR ... AND group: *LOOP-STEPS* at its start

(defun %loop-kw-p (tok &rest names)
  (and (symbolp tok) tok (member (symbol-name tok) names :test #'string=)))

(defun %loop-pop () (let ((x (car *loop-tokens*))) (setq *loop-tokens* (cdr *loop-tokens*)) x))
(defun %loop-peek () (car *loop-tokens*))
(defun %loop-bind (var init) (setq *loop-bindings* (cons (list var init) *loop-bindings*)))
(defun %loop-emit (form) (setq *loop-body* (cons form *loop-body*)))

(defun %loop-error (fmt &rest args)
  (error 'program-error :format-control (concatenate 'string "LOOP: " fmt) :format-arguments args))

(defun %loop-bind-pattern (pattern)
  ;; Binds every variable of a destructuring pattern to NIL.
  (cond ((null pattern))
        ((symbolp pattern) (%loop-bind pattern nil))
        ((consp pattern) (%loop-bind-pattern (car pattern)) (%loop-bind-pattern (cdr pattern)))))

(defun %loop-setq-pattern (pattern value)
  ;; A form assigning VALUE (a form) along PATTERN.
  (cond ((null pattern) nil)
        ((symbolp pattern) `(setq ,pattern ,value))
        (t (let ((g (gensym)))
             `(let ((,g ,value))
                ,(%loop-setq-pattern (car pattern) `(car ,g))
                ,(%loop-setq-pattern (cdr pattern) `(cdr ,g)))))))

(defun %loop-skip-type ()
  (cond ((%loop-kw-p (%loop-peek) "OF-TYPE") (%loop-pop) (%loop-pop))
        ((and (symbolp (%loop-peek))
              (%loop-kw-p (%loop-peek) "FIXNUM" "FLOAT" "T" "INTEGER" "NUMBER" "SINGLE-FLOAT"
                          "DOUBLE-FLOAT" "SYMBOL" "LIST" "STRING" "CHARACTER" "NIL"))
         (%loop-pop))))

(defun %loop-parse-for ()
  (let ((var (%loop-pop)))
    (%loop-skip-type)
    (let ((kw (%loop-pop)))
      (cond
        ((%loop-kw-p kw "IN" "ON")
         (let ((l (gensym "L")) (by (if (%loop-kw-p (cadr *loop-tokens*) "BY") nil nil))
               (list-form (%loop-pop)))
           (declare (ignore by))
           (let ((step (if (%loop-kw-p (%loop-peek) "BY") (progn (%loop-pop) (%loop-pop)) nil)))
             (%loop-bind l list-form)
             (%loop-bind-pattern var)
             (if (%loop-kw-p kw "IN")
                 (progn
                   (%loop-emit `(when (endp ,l) (go ,*loop-end-tag*)))
                   (%loop-emit (%loop-setq-pattern var `(car ,l))))
                 (progn
                   (%loop-emit `(when (atom ,l) (go ,*loop-end-tag*)))
                   (%loop-emit (%loop-setq-pattern var l))))
             (setq *loop-steps*
                   (cons (if step `(setq ,l (funcall ,step ,l)) `(setq ,l (cdr ,l))) *loop-steps*)))))
        ((%loop-kw-p kw "ACROSS")
         (let ((v (gensym "V")) (i (gensym "I")))
           (%loop-bind v (%loop-pop))
           (%loop-bind i 0)
           (%loop-bind-pattern var)
           (%loop-emit `(when (>= ,i (length ,v)) (go ,*loop-end-tag*)))
           (%loop-emit (%loop-setq-pattern var `(aref ,v ,i)))
           (setq *loop-steps* (cons `(setq ,i (+ ,i 1)) *loop-steps*))))
        ((%loop-kw-p kw "=")
         (let ((init (%loop-pop)))
           (%loop-bind-pattern var)
           (if (%loop-kw-p (%loop-peek) "THEN")
               (let ((then (progn (%loop-pop) (%loop-pop))) (first (gensym "FIRST")))
                 (%loop-bind first t)
                 (if (eq *loop-group-steps* :none)
                     (%loop-emit `(if ,first
                                      (progn (setq ,first nil) ,(%loop-setq-pattern var init))
                                      ,(%loop-setq-pattern var then)))
                     ;; After AND: THEN is evaluated in the stepping phase, before the
                     ;; group's other variables step (parallel stepping), into a temporary.
                     (let ((tmp (gensym "THEN")))
                       (%loop-bind tmp nil)
                       (setq *loop-steps*
                             (append (ldiff *loop-steps* *loop-group-steps*)
                                     (list `(setq ,tmp ,then))
                                     *loop-group-steps*))
                       (%loop-emit `(if ,first
                                        (progn (setq ,first nil) ,(%loop-setq-pattern var init))
                                        ,(%loop-setq-pattern var tmp))))))
               (%loop-emit (%loop-setq-pattern var init)))))
        ((%loop-kw-p kw "BEING")
         (let ((what (%loop-pop)))
           (when (%loop-kw-p what "EACH" "THE") (setq what (%loop-pop)))
           (unless (%loop-kw-p (%loop-pop) "OF" "IN") (%loop-error "expected OF after ~S" what))
           (let ((table (%loop-pop)) (other nil) (l (gensym "L")))
             (when (%loop-kw-p (%loop-peek) "USING")
               (%loop-pop)
               (setq other (cadr (%loop-pop))))
             (let ((keysp (%loop-kw-p what "HASH-KEY" "HASH-KEYS")))
               (%loop-bind l `(%hash-table-pairs ,table))
               (%loop-bind-pattern var)
               (when other (%loop-bind other nil))
               (%loop-emit `(when (endp ,l) (go ,*loop-end-tag*)))
               (%loop-emit (%loop-setq-pattern var (if keysp `(caar ,l) `(cdar ,l))))
               (when other (%loop-emit `(setq ,other ,(if keysp `(cdar ,l) `(caar ,l)))))
               (setq *loop-steps* (cons `(setq ,l (cdr ,l)) *loop-steps*))))))
        (t
         ;; arithmetic: FROM/UPFROM/DOWNFROM start, TO/UPTO/BELOW/DOWNTO/ABOVE end, BY step
         (let ((start 0) (end nil) (step 1) (dir nil) (inclusive t) (tokens (cons kw nil)))
           (setq *loop-tokens* (cons kw *loop-tokens*))
           (setq tokens nil)
           (do () ((not (%loop-kw-p (%loop-peek) "FROM" "UPFROM" "DOWNFROM" "TO" "UPTO" "BELOW"
                                    "DOWNTO" "ABOVE" "BY")))
             (let ((k (%loop-pop)) (v (%loop-pop)))
               (cond ((%loop-kw-p k "FROM") (setq start v))
                     ((%loop-kw-p k "UPFROM") (setq start v dir :up))
                     ((%loop-kw-p k "DOWNFROM") (setq start v dir :down))
                     ((%loop-kw-p k "TO") (setq end v))
                     ((%loop-kw-p k "UPTO") (setq end v dir :up))
                     ((%loop-kw-p k "BELOW") (setq end v dir :up inclusive nil))
                     ((%loop-kw-p k "DOWNTO") (setq end v dir :down))
                     ((%loop-kw-p k "ABOVE") (setq end v dir :down inclusive nil))
                     ((%loop-kw-p k "BY") (setq step v)))))
           (when (and (null end) (eq start 0) (null tokens) (not (%loop-kw-p kw "FROM" "UPFROM" "DOWNFROM" "TO" "UPTO" "BELOW" "DOWNTO" "ABOVE" "BY")))
             (%loop-error "unknown FOR clause keyword ~S" kw))
           (let ((e (gensym "END")) (s (gensym "BY")))
             (%loop-bind var start)
             (when end (%loop-bind e end))
             (%loop-bind s step)
             (when end
               (%loop-emit `(when ,(if (eq dir :down)
                                       (if inclusive `(< ,var ,e) `(<= ,var ,e))
                                       (if inclusive `(> ,var ,e) `(>= ,var ,e)))
                              (go ,*loop-end-tag*))))
             (setq *loop-steps*
                   (cons `(setq ,var ,(if (eq dir :down) `(- ,var ,s) `(+ ,var ,s)))
                         *loop-steps*)))))))))

(%defun-if-missing %hash-table-pairs (table)
  (let ((r nil))
    (maphash (lambda (k v) (setq r (cons (cons k v) r))) table)
    (nreverse r)))

(defun %loop-accumulator (kind into)
  ;; Returns the variable accumulating for KIND into INTO (nil: the loop's result).
  (let ((name (or into '%default)))
    (let ((acc (assoc name *loop-accumulators*)))
      (if acc
          (caddr acc)
          (let ((var (or into (gensym "ACC"))) (tail (gensym "TAIL")))
            (%loop-bind var (cond ((member kind '(:sum :count)) 0) (t nil)))
            (when (member kind '(:collect :append :nconc)) (%loop-bind tail nil))
            (setq *loop-accumulators* (cons (list name kind var tail) *loop-accumulators*))
            (unless into (setq *loop-result* var))
            var)))))

(defun %loop-accumulate-form (kind form into)
  (let* ((var (%loop-accumulator kind into))
         (tail (cadddr (assoc (or into '%default) *loop-accumulators*))))
    (case kind
      (:collect
       `(let ((new (list ,form)))
          (if ,var (rplacd ,tail new) (setq ,var new))
          (setq ,tail new)))
      (:append
       `(let ((new (copy-list ,form)))
          (when new
            (if ,var (rplacd (last ,tail) new) (setq ,var new))
            (setq ,tail (last new)))))
      (:nconc
       `(let ((new ,form))
          (when new
            (if ,var (rplacd (last ,tail) new) (setq ,var new))
            (setq ,tail (last new)))))
      (:sum `(setq ,var (+ ,var ,form)))
      (:count `(when ,form (setq ,var (+ ,var 1))))
      (:maximize `(let ((new ,form)) (when (or (null ,var) (> new ,var)) (setq ,var new))))
      (:minimize `(let ((new ,form)) (when (or (null ,var) (< new ,var)) (setq ,var new)))))))

(defun %loop-parse-into ()
  (if (%loop-kw-p (%loop-peek) "INTO") (progn (%loop-pop) (%loop-pop)) nil))

(defun %loop-compound-forms ()
  (let ((r nil))
    (do () ((or (null *loop-tokens*) (atom (%loop-peek))) (nreverse r))
      (setq r (cons (%loop-pop) r)))))

(defun %loop-parse-selectable (it)
  ;; One clause allowed after WHEN/IF/UNLESS/AND/ELSE; returns a form.
  (let ((kw (%loop-pop)))
    (flet ((value () (let ((v (%loop-pop))) (if (and it (%loop-kw-p v "IT")) it v))))
      (cond ((%loop-kw-p kw "COLLECT" "COLLECTING")
             (let ((v (value))) (%loop-accumulate-form :collect v (%loop-parse-into))))
            ((%loop-kw-p kw "APPEND" "APPENDING")
             (let ((v (value))) (%loop-accumulate-form :append v (%loop-parse-into))))
            ((%loop-kw-p kw "NCONC" "NCONCING")
             (let ((v (value))) (%loop-accumulate-form :nconc v (%loop-parse-into))))
            ((%loop-kw-p kw "SUM" "SUMMING")
             (let ((v (value))) (%loop-skip-type) (%loop-accumulate-form :sum v (%loop-parse-into))))
            ((%loop-kw-p kw "COUNT" "COUNTING")
             (let ((v (value))) (%loop-skip-type) (%loop-accumulate-form :count v (%loop-parse-into))))
            ((%loop-kw-p kw "MAXIMIZE" "MAXIMIZING")
             (let ((v (value))) (%loop-skip-type) (%loop-accumulate-form :maximize v (%loop-parse-into))))
            ((%loop-kw-p kw "MINIMIZE" "MINIMIZING")
             (let ((v (value))) (%loop-skip-type) (%loop-accumulate-form :minimize v (%loop-parse-into))))
            ((%loop-kw-p kw "DO" "DOING") `(progn ,@(%loop-compound-forms)))
            ((%loop-kw-p kw "RETURN")
             (let ((v (value))) `(return-from ,*loop-name* ,v)))
            ((%loop-kw-p kw "WHEN" "IF" "UNLESS") (%loop-parse-conditional kw))
            (t (%loop-error "unexpected ~S in a conditional clause" kw))))))

(defun %loop-parse-conditional (kw)
  (let* ((test (%loop-pop)) (it (gensym "IT"))
         (then (list (%loop-parse-selectable it))) (else nil))
    (do () ((not (%loop-kw-p (%loop-peek) "AND")))
      (%loop-pop)
      (setq then (cons (%loop-parse-selectable it) then)))
    (when (%loop-kw-p (%loop-peek) "ELSE")
      (%loop-pop)
      (setq else (list (%loop-parse-selectable it)))
      (do () ((not (%loop-kw-p (%loop-peek) "AND")))
        (%loop-pop)
        (setq else (cons (%loop-parse-selectable it) else))))
    (when (%loop-kw-p (%loop-peek) "END") (%loop-pop))
    `(let ((,it ,(if (%loop-kw-p kw "UNLESS") `(not ,test) test)))
       (declare (ignorable ,it))
       (if ,it (progn ,@(nreverse then)) (progn ,@(nreverse else))))))

(defun %loop-parse-clause ()
  (let ((kw (%loop-peek)))
    (cond
      ((%loop-kw-p kw "NAMED") (%loop-pop) (setq *loop-name* (%loop-pop)))
      ((%loop-kw-p kw "WITH")
       (%loop-pop)
       (do () (nil)
         (let ((var (%loop-pop)))
           (%loop-skip-type)
           (if (%loop-kw-p (%loop-peek) "=")
               (progn (%loop-pop)
                      (if (consp var)
                          (let ((g (gensym)))
                            (%loop-bind g (%loop-pop))
                            (%loop-bind-pattern var)
                            (setq *loop-initially* (cons (%loop-setq-pattern var g) *loop-initially*)))
                          (%loop-bind var (%loop-pop))))
               (%loop-bind-pattern var)))
         (if (%loop-kw-p (%loop-peek) "AND") (%loop-pop) (return))))
      ((%loop-kw-p kw "FOR" "AS")
       (%loop-pop)
       (let ((*loop-group-steps* :none))
         (let ((start *loop-steps*))
           (%loop-parse-for)
           (setq *loop-group-steps* start))
         (do () ((not (%loop-kw-p (%loop-peek) "AND")))
           (%loop-pop) (%loop-parse-for))))
      ((%loop-kw-p kw "REPEAT")
       (%loop-pop)
       (let ((n (gensym "N")))
         (%loop-bind n (%loop-pop))
         (%loop-emit `(when (<= ,n 0) (go ,*loop-end-tag*)))
         (%loop-emit `(setq ,n (- ,n 1)))))
      ((%loop-kw-p kw "WHILE") (%loop-pop) (%loop-emit `(unless ,(%loop-pop) (go ,*loop-end-tag*))))
      ((%loop-kw-p kw "UNTIL") (%loop-pop) (%loop-emit `(when ,(%loop-pop) (go ,*loop-end-tag*))))
      ((%loop-kw-p kw "ALWAYS")
       (%loop-pop) (setq *loop-result* t)
       (%loop-emit `(unless ,(%loop-pop) (return-from ,*loop-name* nil))))
      ((%loop-kw-p kw "NEVER")
       (%loop-pop) (setq *loop-result* t)
       (%loop-emit `(when ,(%loop-pop) (return-from ,*loop-name* nil))))
      ((%loop-kw-p kw "THEREIS")
       (%loop-pop)
       (let ((g (gensym)))
         (%loop-emit `(let ((,g ,(%loop-pop))) (when ,g (return-from ,*loop-name* ,g))))))
      ((%loop-kw-p kw "INITIALLY")
       (%loop-pop) (setq *loop-initially* (revappend (%loop-compound-forms) *loop-initially*)))
      ((%loop-kw-p kw "FINALLY")
       (%loop-pop) (setq *loop-finally* (revappend (%loop-compound-forms) *loop-finally*)))
      ((%loop-kw-p kw "COLLECT" "COLLECTING" "APPEND" "APPENDING" "NCONC" "NCONCING" "SUM" "SUMMING"
                   "COUNT" "COUNTING" "MAXIMIZE" "MAXIMIZING" "MINIMIZE" "MINIMIZING" "DO" "DOING"
                   "RETURN" "WHEN" "IF" "UNLESS")
       (%loop-emit (%loop-parse-selectable nil)))
      (t (%loop-error "unknown clause ~S" kw)))))

(defmacro loop (&rest body)
  (if (every #'consp body)
      (let ((top (gensym "LOOP")))
        `(block nil (tagbody ,top ,@body (go ,top))))
      (let ((*loop-tokens* body) (*loop-bindings* nil) (*loop-body* nil) (*loop-steps* nil)
            (*loop-initially* nil) (*loop-finally* nil) (*loop-result* nil) (*loop-name* nil)
            (*loop-end-tag* (gensym "END")) (*loop-accumulators* nil) (top (gensym "TOP")))
        (do () ((null *loop-tokens*)) (%loop-parse-clause))
        `(block ,*loop-name*
           (let* ,(nreverse *loop-bindings*)
             (macrolet ((loop-finish () '(go ,*loop-end-tag*)))
               (tagbody
                  ,@(reverse *loop-initially*)
                  ,top
                  ,@(reverse *loop-body*)
                  ,@(reverse *loop-steps*)
                  (go ,top)
                  ,*loop-end-tag*
                  ,@(reverse *loop-finally*)
                  (return-from ,*loop-name* ,*loop-result*))))))))
