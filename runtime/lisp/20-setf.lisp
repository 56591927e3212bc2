;;;; 20-setf.lisp -- generalized references: SETF and its expanders, the standard places,
;;;; and the macros that modify places (lisplib).
;;;;
;;;; A setf expander is a function (place env) -> the five values of GET-SETF-EXPANSION,
;;;; kept in *SETF-EXPANDERS* under the place's operator.  A place with no expander and
;;;; no macro definition is stored by calling the function (SETF op).

(setq *package* (find-package "KONS-SYSTEM"))

(defvar *setf-expanders* (make-hash-table :test 'eq))

(defun %gensyms (n)
  (let ((l nil)) (dotimes (i n l) (setq l (cons (gensym) l)))))

(defun %register-setf-expander (name fn)
  (%puthash name *setf-expanders* fn)
  name)

(defun get-setf-expansion (place &optional env)
  (cond ((symbolp place)
         (multiple-value-bind (exp expanded) (macroexpand-1 place env)
           (if expanded
               (get-setf-expansion exp env)
               (let ((s (gensym "NEW")))
                 (values nil nil (list s) `(setq ,place ,s) place)))))
        ((consp place)
         (let ((fn (and (symbolp (car place)) (gethash (car place) *setf-expanders*))))
           (if fn
               (funcall fn place env)
               (multiple-value-bind (exp expanded) (macroexpand-1 place env)
                 (if expanded
                     (get-setf-expansion exp env)
                     (let ((temps (%gensyms (length (cdr place)))) (s (gensym "NEW")))
                       (values temps (cdr place) (list s)
                               `(funcall #'(setf ,(car place)) ,s ,@temps)
                               `(,(car place) ,@temps))))))))
        (t (error "~S is not a valid place." place))))

(defun %setf-1 (place value env)
  (if (symbolp place)
      (multiple-value-bind (exp expanded) (macroexpand-1 place env)
        (if expanded (%setf-1 exp value env) `(setq ,place ,value)))
      (multiple-value-bind (temps vals stores store) (get-setf-expansion place env)
        (if (cdr stores)
            `(let* ,(%mapcar2 #'list temps vals)
               (multiple-value-bind ,stores ,value ,store))
            `(let* (,@(%mapcar2 #'list temps vals) (,(car stores) ,value))
               ,store)))))

(defun %mapcar2 (fn a b)
  (let ((r nil))
    (do ((x a (cdr x)) (y b (cdr y))) ((or (null x) (null y)) (nreverse r))
      (setq r (cons (funcall fn (car x) (car y)) r)))))

(defmacro setf (&rest pairs &environment env)
  (cond ((null pairs) nil)
        ((null (cdr pairs)) (error "Odd number of arguments to SETF: ~S" pairs))
        ((null (cddr pairs)) (%setf-1 (car pairs) (cadr pairs) env))
        (t (let ((forms nil))
             (do ((p pairs (cddr p))) ((null p))
               (when (null (cdr p)) (error "Odd number of arguments to SETF: ~S" pairs))
               (setq forms (cons (%setf-1 (car p) (cadr p) env) forms)))
             `(progn ,@(nreverse forms))))))

(defmacro psetf (&rest pairs &environment env)
  (let ((bindings nil) (stores nil))
    (do ((p pairs (cddr p))) ((null p))
      (multiple-value-bind (temps vals svars store) (get-setf-expansion (car p) env)
        (setq bindings (revappend (%mapcar2 #'list temps vals) bindings))
        (if (cdr svars)
            (let ((g (gensym)))
              (setq bindings (cons (list g `(multiple-value-list ,(cadr p))) bindings))
              (setq stores (cons `(destructuring-bind ,svars ,g ,store) stores)))
            (progn
              (setq bindings (cons (list (car svars) (cadr p)) bindings))
              (setq stores (cons store stores))))))
    `(let* ,(nreverse bindings) ,@(nreverse stores) nil)))

;;; DEFSETF, short and long forms, and DEFINE-SETF-EXPANDER.
(defun %defsetf-short (place updater)
  (let ((temps (%gensyms (length (cdr place)))) (s (gensym "NEW")))
    (values temps (cdr place) (list s) `(,updater ,@temps ,s) `(,(car place) ,@temps))))

(defun %defsetf-long (place fn nstores)
  ;; FN receives the list of temporaries (one per argument form of PLACE) and the list
  ;; of store variables, and returns the storing form.
  (let ((temps (%gensyms (length (cdr place)))) (stores (%gensyms nstores)))
    (values temps (cdr place) stores (funcall fn temps stores) `(,(car place) ,@temps))))

(defmacro defsetf (access &rest spec)
  (if (and spec (listp (car spec)))
      (let ((ll (car spec)) (stores (cadr spec)) (body (cddr spec)) (ts (gensym)) (ss (gensym)))
        `(eval-when (:compile-toplevel :load-toplevel :execute)
           (%register-setf-expander
            ',access
            (let ((fn (lambda (,ts ,ss)
                        (destructuring-bind ,ll ,ts
                          (destructuring-bind ,stores ,ss
                            ,@body)))))
              (lambda (place env)
                (declare (ignore env))
                (%defsetf-long place fn ,(length stores)))))))
      `(eval-when (:compile-toplevel :load-toplevel :execute)
         (%register-setf-expander
          ',access (lambda (place env) (declare (ignore env)) (%defsetf-short place ',(car spec)))))))

(defmacro define-setf-expander (access lambda-list &body body)
  (let ((env-var nil) (ll nil))
    (do ((l lambda-list (cdr l))) ((atom l) (setq ll (nreverse ll)))
      (if (eq (car l) '&environment)
          (setq env-var (cadr l) l (cdr l))
          (setq ll (cons (car l) ll))))
    (let ((p (gensym "PLACE")) (e (or env-var (gensym "ENV"))))
      `(eval-when (:compile-toplevel :load-toplevel :execute)
         (%register-setf-expander
          ',access
          (lambda (,p ,e)
            (declare (ignorable ,e))
            (destructuring-bind ,ll (cdr ,p) ,@body)))))))

;;; The standard places.
(defun %setcar (cell v) (rplaca cell v) v)
(defun %setcdr (cell v) (rplacd cell v) v)
(defsetf car %setcar)
(defsetf cdr %setcdr)
(defsetf first %setcar)
(defsetf rest %setcdr)
(defsetf caar (x) (v) `(%setcar (car ,x) ,v))
(defsetf cadr (x) (v) `(%setcar (cdr ,x) ,v))
(defsetf cdar (x) (v) `(%setcdr (car ,x) ,v))
(defsetf cddr (x) (v) `(%setcdr (cdr ,x) ,v))
(defsetf caaar (x) (v) `(%setcar (caar ,x) ,v))
(defsetf caadr (x) (v) `(%setcar (cadr ,x) ,v))
(defsetf cadar (x) (v) `(%setcar (cdar ,x) ,v))
(defsetf caddr (x) (v) `(%setcar (cddr ,x) ,v))
(defsetf cdaar (x) (v) `(%setcdr (caar ,x) ,v))
(defsetf cdadr (x) (v) `(%setcdr (cadr ,x) ,v))
(defsetf cddar (x) (v) `(%setcdr (cdar ,x) ,v))
(defsetf cdddr (x) (v) `(%setcdr (cddr ,x) ,v))
(defsetf cadddr (x) (v) `(%setcar (cdddr ,x) ,v))
(defsetf cddddr (x) (v) `(%setcdr (cdddr ,x) ,v))
(defsetf second (x) (v) `(%setcar (cdr ,x) ,v))
(defsetf third (x) (v) `(%setcar (cddr ,x) ,v))
(defsetf fourth (x) (v) `(%setcar (nthcdr 3 ,x) ,v))
(defsetf fifth (x) (v) `(%setcar (nthcdr 4 ,x) ,v))
(defsetf sixth (x) (v) `(%setcar (nthcdr 5 ,x) ,v))
(defsetf seventh (x) (v) `(%setcar (nthcdr 6 ,x) ,v))
(defsetf eighth (x) (v) `(%setcar (nthcdr 7 ,x) ,v))
(defsetf ninth (x) (v) `(%setcar (nthcdr 8 ,x) ,v))
(defsetf tenth (x) (v) `(%setcar (nthcdr 9 ,x) ,v))
(defsetf nth (n x) (v) `(%setcar (nthcdr ,n ,x) ,v))
(defsetf nthcdr (n x) (v) `(%setcdr (nthcdr (1- ,n) ,x) ,v))

(defsetf aref (array &rest subscripts) (v) `(%aset ,array ,@subscripts ,v))
(defsetf row-major-aref (array i) (v) `(%row-major-aset ,array ,i ,v))
(defsetf bit (array &rest subscripts) (v) `(%aset ,array ,@subscripts ,v))
(defsetf sbit (array &rest subscripts) (v) `(%aset ,array ,@subscripts ,v))
(defsetf svref %svset)
(defsetf char %set-char)
(defsetf schar %set-char)
(defsetf symbol-value set)
(defsetf symbol-function %set-fdefinition)
(defsetf fdefinition %set-fdefinition)
(defsetf symbol-plist %set-symbol-plist)
(defsetf fill-pointer %set-fill-pointer)
(defsetf get (symbol indicator &optional default) (v)
  (declare (ignore default))
  `(%put ,symbol ,indicator ,v))
(defsetf gethash (key table &optional default) (v)
  (declare (ignore default))
  `(%puthash ,key ,table ,v))
(defsetf macro-function (name &optional env) (v)
  (declare (ignore env))
  `(%set-macro-function ,name ,v))

(defun %setelt (seq index v)
  (if (listp seq)
      (let ((cell (nthcdr index seq)))
        (if (consp cell) (rplaca cell v)
            (error 'type-error :datum index :expected-type `(integer 0 ,(1- (length seq)))))
        v)
      (progn (%aset seq index v) v)))
(defsetf elt %setelt)

(defun %set-subseq (seq start end new)
  (replace seq new :start1 start :end1 end)
  new)
(defsetf subseq (seq start &optional end) (v) `(%set-subseq ,seq ,start ,end ,v))

(define-setf-expander the (type place &environment env)
  (multiple-value-bind (temps vals stores store access) (get-setf-expansion place env)
    (values temps vals stores
            `(multiple-value-bind ,stores (the ,type (values ,@stores)) ,store)
            `(the ,type ,access))))

(define-setf-expander values (&rest places &environment env)
  (let ((temps nil) (vals nil) (stores nil) (storeforms nil) (accesses nil))
    (dolist (p places)
      (multiple-value-bind (ts vs ss store access) (get-setf-expansion p env)
        (setq temps (append temps ts) vals (append vals vs))
        (setq stores (append stores (list (car ss))))
        ;; extra store variables of a multi-value subplace get NIL
        (setq storeforms (append storeforms
                                 (list (if (cdr ss)
                                           `(let ,(cdr ss) ,store)
                                           store))))
        (setq accesses (append accesses (list access)))))
    (values temps vals stores `(values ,@storeforms) `(values ,@accesses))))

(defun %putf (plist indicator value)
  (let ((cell (%getf-cell plist indicator)))
    (if cell
        (progn (rplaca (cdr cell) value) plist)
        (cons indicator (cons value plist)))))

(define-setf-expander getf (place indicator &optional default &environment env)
  (multiple-value-bind (temps vals stores store access) (get-setf-expansion place env)
    (let ((itemp (gensym "IND")) (dtemp (gensym "DEF")) (newval (gensym "NEW")))
      (values `(,@temps ,itemp ,@(if default (list dtemp)))
              `(,@vals ,indicator ,@(if default (list default)))
              (list newval)
              `(let ((,(car stores) (%putf ,access ,itemp ,newval)))
                 ,store
                 ,newval)
              `(getf ,access ,itemp ,@(if default (list dtemp)))))))

(defun %remf (plist indicator)
  ;; Returns (values new-plist found-p), destructively.
  (do ((prev nil l) (l plist (cddr l))) ((atom l) (values plist nil))
    (when (eq (car l) indicator)
      (if prev
          (progn (rplacd (cdr prev) (cddr l)) (return (values plist t)))
          (return (values (cddr l) t))))))

(defmacro remf (place indicator &environment env)
  (multiple-value-bind (temps vals stores store access) (get-setf-expansion place env)
    (let ((found (gensym)))
      `(let* (,@(%mapcar2 #'list temps vals))
         (multiple-value-bind (,(car stores) ,found) (%remf ,access ,indicator)
           ,store
           ,found)))))

;;; Modify macros.
(defun %modify (place env fn)
  ;; FN receives the access form and returns the new-value form.
  (multiple-value-bind (temps vals stores store access) (get-setf-expansion place env)
    `(let* (,@(%mapcar2 #'list temps vals) (,(car stores) ,(funcall fn access)))
       ,store)))

(defmacro incf (place &optional (delta 1) &environment env)
  (if (and (symbolp place) (eq place (macroexpand-1 place env)))
      `(setq ,place (+ ,place ,delta))
      (let ((d (gensym)))
        (multiple-value-bind (temps vals stores store access) (get-setf-expansion place env)
          `(let* (,@(%mapcar2 #'list temps vals) (,d ,delta) (,(car stores) (+ ,access ,d)))
             ,store)))))

(defmacro decf (place &optional (delta 1) &environment env)
  (if (and (symbolp place) (eq place (macroexpand-1 place env)))
      `(setq ,place (- ,place ,delta))
      (let ((d (gensym)))
        (multiple-value-bind (temps vals stores store access) (get-setf-expansion place env)
          `(let* (,@(%mapcar2 #'list temps vals) (,d ,delta) (,(car stores) (- ,access ,d)))
             ,store)))))

(defmacro push (item place &environment env)
  (if (and (symbolp place) (eq place (macroexpand-1 place env)))
      `(setq ,place (cons ,item ,place))
      (let ((i (gensym "ITEM")))
        (multiple-value-bind (temps vals stores store access) (get-setf-expansion place env)
          `(let* ((,i ,item) ,@(%mapcar2 #'list temps vals) (,(car stores) (cons ,i ,access)))
             ,store)))))

(defmacro pushnew (item place &rest keys &environment env)
  (let ((i (gensym "ITEM")))
    (multiple-value-bind (temps vals stores store access) (get-setf-expansion place env)
      `(let* ((,i ,item) ,@(%mapcar2 #'list temps vals)
              (,(car stores) (adjoin ,i ,access ,@keys)))
         ,store))))

(defmacro pop (place &environment env)
  (multiple-value-bind (temps vals stores store access) (get-setf-expansion place env)
    (let ((l (gensym "LIST")))
      `(let* (,@(%mapcar2 #'list temps vals) (,l ,access) (,(car stores) (cdr ,l)))
         ,store
         (car ,l)))))

(defmacro rotatef (&rest places &environment env)
  (if (null (cdr places))
      nil
      (let ((bindings nil) (stores nil) (accesses nil) (storeforms nil))
        (dolist (p places)
          (multiple-value-bind (temps vals ss store access) (get-setf-expansion p env)
            (setq bindings (revappend (%mapcar2 #'list temps vals) bindings))
            (setq stores (cons (car ss) stores) accesses (cons access accesses)
                  storeforms (cons store storeforms))))
        (setq stores (nreverse stores) accesses (nreverse accesses)
              storeforms (nreverse storeforms))
        `(let* (,@(nreverse bindings)
                ,@(%mapcar2 #'list stores (append (cdr accesses) (list (car accesses)))))
           ,@storeforms
           nil))))

(defmacro shiftf (&rest args &environment env)
  (let ((places (butlast args)) (newval (car (last args)))
        (bindings nil) (stores nil) (accesses nil) (storeforms nil) (old (gensym "OLD")))
    (dolist (p places)
      (multiple-value-bind (temps vals ss store access) (get-setf-expansion p env)
        (setq bindings (revappend (%mapcar2 #'list temps vals) bindings))
        (setq stores (cons (car ss) stores) accesses (cons access accesses)
              storeforms (cons store storeforms))))
    (setq stores (nreverse stores) accesses (nreverse accesses)
          storeforms (nreverse storeforms))
    `(let* (,@(nreverse bindings)
            (,old ,(car accesses))
            ,@(%mapcar2 #'list stores (append (cdr accesses) (list newval))))
       ,@storeforms
       ,old)))

(defmacro define-modify-macro (name lambda-list function &optional doc)
  (declare (ignore doc))
  (let ((args nil) (restvar nil))
    (do ((l lambda-list (cdr l))) ((null l))
      (cond ((eq (car l) '&optional))
            ((eq (car l) '&rest) (setq restvar (cadr l)) (return))
            (t (setq args (cons (if (consp (car l)) (caar l) (car l)) args)))))
    (setq args (nreverse args))
    (let ((place (gensym "PLACE")) (env (gensym "ENV")))
      `(defmacro ,name (,place ,@lambda-list &environment ,env)
         (%modify ,place ,env
                  (lambda (access)
                    (list* ',function access (list* ,@args ,restvar))))))))
