;;;; 10-base.lisp -- the standard control macros (lisplib).
;;;;
;;;; Loaded after rt-vm's 00-kernel.lisp, which provides the special operators, DEFMACRO,
;;;; DEFUN, LAMBDA, backquote and DECLARE, and after every C primitive is registered.
;;;; The library is written plainly (no macro-writing macros, little consing at load time)
;;;; because every file here is loaded at each start of kons-lisp.
;;;;
;;;; Package discipline: the library is read in KONS-SYSTEM (which uses COMMON-LISP), so
;;;; its helpers are SYS::%-names and its definitions of standard names land on the
;;;; COMMON-LISP symbols, which the first forms below make sure exist and are exported.

(setq *package* (find-package "KONS-SYSTEM"))

(defun %whitespacep (c)
  (if (eql c #\Space) t (if (eql c #\Newline) t (if (eql c #\Tab) t (eql c #\Return)))))

(if (fboundp '%export-standard-names) nil
    (defun %export-standard-names (text)
      ;; Interns and exports every whitespace-separated name of TEXT in COMMON-LISP, so a
      ;; standard name defined by this library is visible from every package using CL.
      (let ((cl (find-package "COMMON-LISP")) (i 0) (n (length text)))
        (tagbody
         next
           (if (>= i n) (go done))
           (if (%whitespacep (char text i)) (progn (setq i (+ i 1)) (go next)))
           (let ((j i))
             (tagbody
              scan
                (if (if (< j n) (not (%whitespacep (char text j))) nil)
                    (progn (setq j (+ j 1)) (go scan))))
             (export (intern (subseq text i j) cl) cl)
             (setq i j))
           (go next)
         done))))

;;; The 978 external symbols of COMMON-LISP (ANSI 11.1.2.1).
(%export-standard-names
"&ALLOW-OTHER-KEYS &AUX &BODY &ENVIRONMENT &KEY &OPTIONAL &REST &WHOLE * ** ***
*BREAK-ON-SIGNALS* *COMPILE-FILE-PATHNAME* *COMPILE-FILE-TRUENAME* *COMPILE-PRINT*
*COMPILE-VERBOSE* *DEBUG-IO* *DEBUGGER-HOOK* *DEFAULT-PATHNAME-DEFAULTS* *ERROR-OUTPUT*
*FEATURES* *GENSYM-COUNTER* *LOAD-PATHNAME* *LOAD-PRINT* *LOAD-TRUENAME* *LOAD-VERBOSE*
*MACROEXPAND-HOOK* *MODULES* *PACKAGE* *PRINT-ARRAY* *PRINT-BASE* *PRINT-CASE*
*PRINT-CIRCLE* *PRINT-ESCAPE* *PRINT-GENSYM* *PRINT-LENGTH* *PRINT-LEVEL* *PRINT-LINES*
*PRINT-MISER-WIDTH* *PRINT-PPRINT-DISPATCH* *PRINT-PRETTY* *PRINT-RADIX*
*PRINT-READABLY* *PRINT-RIGHT-MARGIN* *QUERY-IO* *RANDOM-STATE* *READ-BASE*
*READ-DEFAULT-FLOAT-FORMAT* *READ-EVAL* *READ-SUPPRESS* *READTABLE* *STANDARD-INPUT*
*STANDARD-OUTPUT* *TERMINAL-IO* *TRACE-OUTPUT* + ++ +++ - / // /// /= 1+ 1- < <= = > >=
ABORT ABS ACONS ACOS ACOSH ADD-METHOD ADJOIN ADJUST-ARRAY ADJUSTABLE-ARRAY-P
ALLOCATE-INSTANCE ALPHA-CHAR-P ALPHANUMERICP AND APPEND APPLY APROPOS APROPOS-LIST AREF
ARITHMETIC-ERROR ARITHMETIC-ERROR-OPERANDS ARITHMETIC-ERROR-OPERATION ARRAY
ARRAY-DIMENSION ARRAY-DIMENSION-LIMIT ARRAY-DIMENSIONS ARRAY-DISPLACEMENT
ARRAY-ELEMENT-TYPE ARRAY-HAS-FILL-POINTER-P ARRAY-IN-BOUNDS-P ARRAY-RANK
ARRAY-RANK-LIMIT ARRAY-ROW-MAJOR-INDEX ARRAY-TOTAL-SIZE ARRAY-TOTAL-SIZE-LIMIT ARRAYP
ASH ASIN ASINH ASSERT ASSOC ASSOC-IF ASSOC-IF-NOT ATAN ATANH ATOM BASE-CHAR BASE-STRING
BIGNUM BIT BIT-AND BIT-ANDC1 BIT-ANDC2 BIT-EQV BIT-IOR BIT-NAND BIT-NOR BIT-NOT BIT-ORC1
BIT-ORC2 BIT-VECTOR BIT-VECTOR-P BIT-XOR BLOCK BOOLE BOOLE-1 BOOLE-2 BOOLE-AND
BOOLE-ANDC1 BOOLE-ANDC2 BOOLE-C1 BOOLE-C2 BOOLE-CLR BOOLE-EQV BOOLE-IOR BOOLE-NAND
BOOLE-NOR BOOLE-ORC1 BOOLE-ORC2 BOOLE-SET BOOLE-XOR BOOLEAN BOTH-CASE-P BOUNDP BREAK
BROADCAST-STREAM BROADCAST-STREAM-STREAMS BUILT-IN-CLASS BUTLAST BYTE BYTE-POSITION
BYTE-SIZE CAAAAR CAAADR CAAAR CAADAR CAADDR CAADR CAAR CADAAR CADADR CADAR CADDAR CADDDR
CADDR CADR CALL-ARGUMENTS-LIMIT CALL-METHOD CALL-NEXT-METHOD CAR CASE CATCH CCASE CDAAAR
CDAADR CDAAR CDADAR CDADDR CDADR CDAR CDDAAR CDDADR CDDAR CDDDAR CDDDDR CDDDR CDDR CDR
CEILING CELL-ERROR CELL-ERROR-NAME CERROR CHANGE-CLASS CHAR CHAR-CODE CHAR-CODE-LIMIT
CHAR-DOWNCASE CHAR-EQUAL CHAR-GREATERP CHAR-INT CHAR-LESSP CHAR-NAME CHAR-NOT-EQUAL
CHAR-NOT-GREATERP CHAR-NOT-LESSP CHAR-UPCASE CHAR/= CHAR< CHAR<= CHAR= CHAR> CHAR>=
CHARACTER CHARACTERP CHECK-TYPE CIS CLASS CLASS-NAME CLASS-OF CLEAR-INPUT CLEAR-OUTPUT
CLOSE CLRHASH CODE-CHAR COERCE COMPILATION-SPEED COMPILE COMPILE-FILE
COMPILE-FILE-PATHNAME COMPILED-FUNCTION COMPILED-FUNCTION-P COMPILER-MACRO
COMPILER-MACRO-FUNCTION COMPLEMENT COMPLEX COMPLEXP COMPUTE-APPLICABLE-METHODS
COMPUTE-RESTARTS CONCATENATE CONCATENATED-STREAM CONCATENATED-STREAM-STREAMS COND
CONDITION CONJUGATE CONS CONSP CONSTANTLY CONSTANTP CONTINUE CONTROL-ERROR COPY-ALIST
COPY-LIST COPY-PPRINT-DISPATCH COPY-READTABLE COPY-SEQ COPY-STRUCTURE COPY-SYMBOL
COPY-TREE COS COSH COUNT COUNT-IF COUNT-IF-NOT CTYPECASE DEBUG DECF DECLAIM DECLARATION
DECLARE DECODE-FLOAT DECODE-UNIVERSAL-TIME DEFCLASS DEFCONSTANT DEFGENERIC
DEFINE-COMPILER-MACRO DEFINE-CONDITION DEFINE-METHOD-COMBINATION DEFINE-MODIFY-MACRO
DEFINE-SETF-EXPANDER DEFINE-SYMBOL-MACRO DEFMACRO DEFMETHOD DEFPACKAGE DEFPARAMETER
DEFSETF DEFSTRUCT DEFTYPE DEFUN DEFVAR DELETE DELETE-DUPLICATES DELETE-FILE DELETE-IF
DELETE-IF-NOT DELETE-PACKAGE DENOMINATOR DEPOSIT-FIELD DESCRIBE DESCRIBE-OBJECT
DESTRUCTURING-BIND DIGIT-CHAR DIGIT-CHAR-P DIRECTORY DIRECTORY-NAMESTRING DISASSEMBLE
DIVISION-BY-ZERO DO DO* DO-ALL-SYMBOLS DO-EXTERNAL-SYMBOLS DO-SYMBOLS DOCUMENTATION
DOLIST DOTIMES DOUBLE-FLOAT DOUBLE-FLOAT-EPSILON DOUBLE-FLOAT-NEGATIVE-EPSILON DPB
DRIBBLE DYNAMIC-EXTENT ECASE ECHO-STREAM ECHO-STREAM-INPUT-STREAM
ECHO-STREAM-OUTPUT-STREAM ED EIGHTH ELT ENCODE-UNIVERSAL-TIME END-OF-FILE ENDP
ENOUGH-NAMESTRING ENSURE-DIRECTORIES-EXIST ENSURE-GENERIC-FUNCTION EQ EQL EQUAL EQUALP
ERROR ETYPECASE EVAL EVAL-WHEN EVENP EVERY EXP EXPORT EXPT EXTENDED-CHAR FBOUNDP
FCEILING FDEFINITION FFLOOR FIFTH FILE-AUTHOR FILE-ERROR FILE-ERROR-PATHNAME FILE-LENGTH
FILE-NAMESTRING FILE-POSITION FILE-STREAM FILE-STRING-LENGTH FILE-WRITE-DATE FILL
FILL-POINTER FIND FIND-ALL-SYMBOLS FIND-CLASS FIND-IF FIND-IF-NOT FIND-METHOD
FIND-PACKAGE FIND-RESTART FIND-SYMBOL FINISH-OUTPUT FIRST FIXNUM FLET FLOAT FLOAT-DIGITS
FLOAT-PRECISION FLOAT-RADIX FLOAT-SIGN FLOATING-POINT-INEXACT
FLOATING-POINT-INVALID-OPERATION FLOATING-POINT-OVERFLOW FLOATING-POINT-UNDERFLOW FLOATP
FLOOR FMAKUNBOUND FORCE-OUTPUT FORMAT FORMATTER FOURTH FRESH-LINE FROUND FTRUNCATE FTYPE
FUNCALL FUNCTION FUNCTION-KEYWORDS FUNCTION-LAMBDA-EXPRESSION FUNCTIONP GCD
GENERIC-FUNCTION GENSYM GENTEMP GET GET-DECODED-TIME GET-DISPATCH-MACRO-CHARACTER
GET-INTERNAL-REAL-TIME GET-INTERNAL-RUN-TIME GET-MACRO-CHARACTER
GET-OUTPUT-STREAM-STRING GET-PROPERTIES GET-SETF-EXPANSION GET-UNIVERSAL-TIME GETF
GETHASH GO GRAPHIC-CHAR-P HANDLER-BIND HANDLER-CASE HASH-TABLE HASH-TABLE-COUNT
HASH-TABLE-P HASH-TABLE-REHASH-SIZE HASH-TABLE-REHASH-THRESHOLD HASH-TABLE-SIZE
HASH-TABLE-TEST HOST-NAMESTRING IDENTITY IF IGNORABLE IGNORE IGNORE-ERRORS IMAGPART
IMPORT IN-PACKAGE INCF INITIALIZE-INSTANCE INLINE INPUT-STREAM-P INSPECT INTEGER
INTEGER-DECODE-FLOAT INTEGER-LENGTH INTEGERP INTERACTIVE-STREAM-P INTERN
INTERNAL-TIME-UNITS-PER-SECOND INTERSECTION INVALID-METHOD-ERROR INVOKE-DEBUGGER
INVOKE-RESTART INVOKE-RESTART-INTERACTIVELY ISQRT KEYWORD KEYWORDP LABELS LAMBDA
LAMBDA-LIST-KEYWORDS LAMBDA-PARAMETERS-LIMIT LAST LCM LDB LDB-TEST LDIFF
LEAST-NEGATIVE-DOUBLE-FLOAT LEAST-NEGATIVE-LONG-FLOAT
LEAST-NEGATIVE-NORMALIZED-DOUBLE-FLOAT LEAST-NEGATIVE-NORMALIZED-LONG-FLOAT
LEAST-NEGATIVE-NORMALIZED-SHORT-FLOAT LEAST-NEGATIVE-NORMALIZED-SINGLE-FLOAT
LEAST-NEGATIVE-SHORT-FLOAT LEAST-NEGATIVE-SINGLE-FLOAT LEAST-POSITIVE-DOUBLE-FLOAT
LEAST-POSITIVE-LONG-FLOAT LEAST-POSITIVE-NORMALIZED-DOUBLE-FLOAT
LEAST-POSITIVE-NORMALIZED-LONG-FLOAT LEAST-POSITIVE-NORMALIZED-SHORT-FLOAT
LEAST-POSITIVE-NORMALIZED-SINGLE-FLOAT LEAST-POSITIVE-SHORT-FLOAT
LEAST-POSITIVE-SINGLE-FLOAT LENGTH LET LET* LISP-IMPLEMENTATION-TYPE
LISP-IMPLEMENTATION-VERSION LIST LIST* LIST-ALL-PACKAGES LIST-LENGTH LISTEN LISTP LOAD
LOAD-LOGICAL-PATHNAME-TRANSLATIONS LOAD-TIME-VALUE LOCALLY LOG LOGAND LOGANDC1 LOGANDC2
LOGBITP LOGCOUNT LOGEQV LOGICAL-PATHNAME LOGICAL-PATHNAME-TRANSLATIONS LOGIOR LOGNAND
LOGNOR LOGNOT LOGORC1 LOGORC2 LOGTEST LOGXOR LONG-FLOAT LONG-FLOAT-EPSILON
LONG-FLOAT-NEGATIVE-EPSILON LONG-SITE-NAME LOOP LOOP-FINISH LOWER-CASE-P
MACHINE-INSTANCE MACHINE-TYPE MACHINE-VERSION MACRO-FUNCTION MACROEXPAND MACROEXPAND-1
MACROLET MAKE-ARRAY MAKE-BROADCAST-STREAM MAKE-CONCATENATED-STREAM MAKE-CONDITION
MAKE-DISPATCH-MACRO-CHARACTER MAKE-ECHO-STREAM MAKE-HASH-TABLE MAKE-INSTANCE
MAKE-INSTANCES-OBSOLETE MAKE-LIST MAKE-LOAD-FORM MAKE-LOAD-FORM-SAVING-SLOTS MAKE-METHOD
MAKE-PACKAGE MAKE-PATHNAME MAKE-RANDOM-STATE MAKE-SEQUENCE MAKE-STRING
MAKE-STRING-INPUT-STREAM MAKE-STRING-OUTPUT-STREAM MAKE-SYMBOL MAKE-SYNONYM-STREAM
MAKE-TWO-WAY-STREAM MAKUNBOUND MAP MAP-INTO MAPC MAPCAN MAPCAR MAPCON MAPHASH MAPL
MAPLIST MASK-FIELD MAX MEMBER MEMBER-IF MEMBER-IF-NOT MERGE MERGE-PATHNAMES METHOD
METHOD-COMBINATION METHOD-COMBINATION-ERROR METHOD-QUALIFIERS MIN MINUSP MISMATCH MOD
MOST-NEGATIVE-DOUBLE-FLOAT MOST-NEGATIVE-FIXNUM MOST-NEGATIVE-LONG-FLOAT
MOST-NEGATIVE-SHORT-FLOAT MOST-NEGATIVE-SINGLE-FLOAT MOST-POSITIVE-DOUBLE-FLOAT
MOST-POSITIVE-FIXNUM MOST-POSITIVE-LONG-FLOAT MOST-POSITIVE-SHORT-FLOAT
MOST-POSITIVE-SINGLE-FLOAT MUFFLE-WARNING MULTIPLE-VALUE-BIND MULTIPLE-VALUE-CALL
MULTIPLE-VALUE-LIST MULTIPLE-VALUE-PROG1 MULTIPLE-VALUE-SETQ MULTIPLE-VALUES-LIMIT
NAME-CHAR NAMESTRING NBUTLAST NCONC NEXT-METHOD-P NIL NINTERSECTION NINTH
NO-APPLICABLE-METHOD NO-NEXT-METHOD NOT NOTANY NOTEVERY NOTINLINE NRECONC NREVERSE
NSET-DIFFERENCE NSET-EXCLUSIVE-OR NSTRING-CAPITALIZE NSTRING-DOWNCASE NSTRING-UPCASE
NSUBLIS NSUBST NSUBST-IF NSUBST-IF-NOT NSUBSTITUTE NSUBSTITUTE-IF NSUBSTITUTE-IF-NOT NTH
NTH-VALUE NTHCDR NULL NUMBER NUMBERP NUMERATOR NUNION ODDP OPEN OPEN-STREAM-P OPTIMIZE
OR OTHERWISE OUTPUT-STREAM-P PACKAGE PACKAGE-ERROR PACKAGE-ERROR-PACKAGE PACKAGE-NAME
PACKAGE-NICKNAMES PACKAGE-SHADOWING-SYMBOLS PACKAGE-USE-LIST PACKAGE-USED-BY-LIST
PACKAGEP PAIRLIS PARSE-ERROR PARSE-INTEGER PARSE-NAMESTRING PATHNAME PATHNAME-DEVICE
PATHNAME-DIRECTORY PATHNAME-HOST PATHNAME-MATCH-P PATHNAME-NAME PATHNAME-TYPE
PATHNAME-VERSION PATHNAMEP PEEK-CHAR PHASE PI PLUSP POP POSITION POSITION-IF
POSITION-IF-NOT PPRINT PPRINT-DISPATCH PPRINT-EXIT-IF-LIST-EXHAUSTED PPRINT-FILL
PPRINT-INDENT PPRINT-LINEAR PPRINT-LOGICAL-BLOCK PPRINT-NEWLINE PPRINT-POP PPRINT-TAB
PPRINT-TABULAR PRIN1 PRIN1-TO-STRING PRINC PRINC-TO-STRING PRINT PRINT-NOT-READABLE
PRINT-NOT-READABLE-OBJECT PRINT-OBJECT PRINT-UNREADABLE-OBJECT PROBE-FILE PROCLAIM PROG
PROG* PROG1 PROG2 PROGN PROGRAM-ERROR PROGV PROVIDE PSETF PSETQ PUSH PUSHNEW QUOTE
RANDOM RANDOM-STATE RANDOM-STATE-P RASSOC RASSOC-IF RASSOC-IF-NOT RATIO RATIONAL
RATIONALIZE RATIONALP READ READ-BYTE READ-CHAR READ-CHAR-NO-HANG READ-DELIMITED-LIST
READ-FROM-STRING READ-LINE READ-PRESERVING-WHITESPACE READ-SEQUENCE READER-ERROR
READTABLE READTABLE-CASE READTABLEP REAL REALP REALPART REDUCE REINITIALIZE-INSTANCE REM
REMF REMHASH REMOVE REMOVE-DUPLICATES REMOVE-IF REMOVE-IF-NOT REMOVE-METHOD REMPROP
RENAME-FILE RENAME-PACKAGE REPLACE REQUIRE REST RESTART RESTART-BIND RESTART-CASE
RESTART-NAME RETURN RETURN-FROM REVAPPEND REVERSE ROOM ROTATEF ROUND ROW-MAJOR-AREF
RPLACA RPLACD SAFETY SATISFIES SBIT SCALE-FLOAT SCHAR SEARCH SECOND SEQUENCE
SERIOUS-CONDITION SET SET-DIFFERENCE SET-DISPATCH-MACRO-CHARACTER SET-EXCLUSIVE-OR
SET-MACRO-CHARACTER SET-PPRINT-DISPATCH SET-SYNTAX-FROM-CHAR SETF SETQ SEVENTH SHADOW
SHADOWING-IMPORT SHARED-INITIALIZE SHIFTF SHORT-FLOAT SHORT-FLOAT-EPSILON
SHORT-FLOAT-NEGATIVE-EPSILON SHORT-SITE-NAME SIGNAL SIGNED-BYTE SIGNUM SIMPLE-ARRAY
SIMPLE-BASE-STRING SIMPLE-BIT-VECTOR SIMPLE-BIT-VECTOR-P SIMPLE-CONDITION
SIMPLE-CONDITION-FORMAT-ARGUMENTS SIMPLE-CONDITION-FORMAT-CONTROL SIMPLE-ERROR
SIMPLE-STRING SIMPLE-STRING-P SIMPLE-TYPE-ERROR SIMPLE-VECTOR SIMPLE-VECTOR-P
SIMPLE-WARNING SIN SINGLE-FLOAT SINGLE-FLOAT-EPSILON SINGLE-FLOAT-NEGATIVE-EPSILON SINH
SIXTH SLEEP SLOT-BOUNDP SLOT-EXISTS-P SLOT-MAKUNBOUND SLOT-MISSING SLOT-UNBOUND
SLOT-VALUE SOFTWARE-TYPE SOFTWARE-VERSION SOME SORT SPACE SPECIAL SPECIAL-OPERATOR-P
SPEED SQRT STABLE-SORT STANDARD STANDARD-CHAR STANDARD-CHAR-P STANDARD-CLASS
STANDARD-GENERIC-FUNCTION STANDARD-METHOD STANDARD-OBJECT STEP STORAGE-CONDITION
STORE-VALUE STREAM STREAM-ELEMENT-TYPE STREAM-ERROR STREAM-ERROR-STREAM
STREAM-EXTERNAL-FORMAT STREAMP STRING STRING-CAPITALIZE STRING-DOWNCASE STRING-EQUAL
STRING-GREATERP STRING-LEFT-TRIM STRING-LESSP STRING-NOT-EQUAL STRING-NOT-GREATERP
STRING-NOT-LESSP STRING-RIGHT-TRIM STRING-STREAM STRING-TRIM STRING-UPCASE STRING/=
STRING< STRING<= STRING= STRING> STRING>= STRINGP STRUCTURE STRUCTURE-CLASS
STRUCTURE-OBJECT STYLE-WARNING SUBLIS SUBSEQ SUBSETP SUBST SUBST-IF SUBST-IF-NOT
SUBSTITUTE SUBSTITUTE-IF SUBSTITUTE-IF-NOT SUBTYPEP SVREF SXHASH SYMBOL SYMBOL-FUNCTION
SYMBOL-MACROLET SYMBOL-NAME SYMBOL-PACKAGE SYMBOL-PLIST SYMBOL-VALUE SYMBOLP
SYNONYM-STREAM SYNONYM-STREAM-SYMBOL T TAGBODY TAILP TAN TANH TENTH TERPRI THE THIRD
THROW TIME TRACE TRANSLATE-LOGICAL-PATHNAME TRANSLATE-PATHNAME TREE-EQUAL TRUENAME
TRUNCATE TWO-WAY-STREAM TWO-WAY-STREAM-INPUT-STREAM TWO-WAY-STREAM-OUTPUT-STREAM TYPE
TYPE-ERROR TYPE-ERROR-DATUM TYPE-ERROR-EXPECTED-TYPE TYPE-OF TYPECASE TYPEP UNBOUND-SLOT
UNBOUND-SLOT-INSTANCE UNBOUND-VARIABLE UNDEFINED-FUNCTION UNEXPORT UNINTERN UNION UNLESS
UNREAD-CHAR UNSIGNED-BYTE UNTRACE UNUSE-PACKAGE UNWIND-PROTECT
UPDATE-INSTANCE-FOR-DIFFERENT-CLASS UPDATE-INSTANCE-FOR-REDEFINED-CLASS
UPGRADED-ARRAY-ELEMENT-TYPE UPGRADED-COMPLEX-PART-TYPE UPPER-CASE-P USE-PACKAGE
USE-VALUE USER-HOMEDIR-PATHNAME VALUES VALUES-LIST VARIABLE VECTOR VECTOR-POP
VECTOR-PUSH VECTOR-PUSH-EXTEND VECTORP WARN WARNING WHEN WILD-PATHNAME-P WITH-ACCESSORS
WITH-COMPILATION-UNIT WITH-CONDITION-RESTARTS WITH-HASH-TABLE-ITERATOR
WITH-INPUT-FROM-STRING WITH-OPEN-FILE WITH-OPEN-STREAM WITH-OUTPUT-TO-STRING
WITH-PACKAGE-ITERATOR WITH-SIMPLE-RESTART WITH-SLOTS WITH-STANDARD-IO-SYNTAX WRITE
WRITE-BYTE WRITE-CHAR WRITE-LINE WRITE-SEQUENCE WRITE-STRING WRITE-TO-STRING Y-OR-N-P
YES-OR-NO-P ZEROP")

;;; ------------------------------------------------------------------------------------
;;; Primitives of the other modules this library relies on, besides the standard
;;; functions (car, cons, eq, gethash, aref, make-hash-table, intern, ...):
;;;   SYS:%PUTHASH (key table value)    SYS:%ASET (array subscript... value)
;;;   SYS:%SVSET (vector index value)   SYS:%PUT (symbol indicator value)
;;;   SYS:%SET-CHAR (string index char) SYS:%SET-FDEFINITION (name function)
;;;   SYS:%PROCLAIM-SPECIAL (symbol)    SYS:%MAKE-INSTANCE (layout nslots)
;;;   SYS:%INSTANCE-REF / -SET / -LAYOUT / -LENGTH, SYS:%INSTANCEP
;;; When one is missing the place or form that needs it signals UNDEFINED-FUNCTION when
;;; used, not at load time.
;;; ------------------------------------------------------------------------------------

(defmacro when (test &body body) (list 'if test (cons 'progn body) nil))
(defmacro unless (test &body body) (list 'if test nil (cons 'progn body)))

(defmacro and (&rest forms)
  (if (null forms) t
      (if (null (cdr forms)) (car forms)
          (list 'if (car forms) (cons 'and (cdr forms)) nil))))

(defmacro or (&rest forms)
  (if (null forms) nil
      (if (null (cdr forms)) (car forms)
          (let ((g (gensym "OR")))
            (list 'let (list (list g (car forms)))
                  (list 'if g g (cons 'or (cdr forms))))))))

(defmacro cond (&rest clauses)
  (if (null clauses) nil
      (let ((c (car clauses)) (more (cdr clauses)))
        (if (atom c) (error "COND clause is not a list: ~S" c))
        (if (null (cdr c))
            (let ((g (gensym "COND")))
              `(let ((,g ,(car c))) (if ,g ,g (cond ,@more))))
            (if (and (eq (car c) t) (null more))
                `(progn ,@(cdr c))
                `(if ,(car c) (progn ,@(cdr c)) (cond ,@more)))))))

(defmacro prog1 (first &body body)
  (let ((g (gensym))) `(let ((,g ,first)) ,@body ,g)))
(defmacro prog2 (first second &body body) `(progn ,first (prog1 ,second ,@body)))
(defmacro return (&optional value) `(return-from nil ,value))

(defun %mapcar1 (fn list)
  (let ((head (cons nil nil)))
    (let ((tail head))
      (tagbody
       next
         (if (atom list) (go done))
         (let ((c (cons (funcall fn (car list)) nil)))
           (rplacd tail c)
           (setq tail c))
         (setq list (cdr list))
         (go next)
       done))
    (cdr head)))

(defun %parse-body (body &optional doc-allowed)
  ;; Splits BODY into (values declarations forms docstring).
  (let ((decls nil) (doc nil))
    (tagbody
     next
       (cond ((and (consp body) (consp (car body)) (eq (caar body) 'declare))
              (setq decls (cons (car body) decls) body (cdr body)) (go next))
             ((and doc-allowed (null doc) (stringp (car body)) (cdr body))
              (setq doc (car body) body (cdr body)) (go next))))
    (values (nreverse decls) body doc)))

;;; MULTIPLE-VALUE-BIND comes early: the macros below use it.
(defmacro multiple-value-bind (vars form &body body)
  (if (if (consp vars) (null (cdr vars)) nil)
      (let ((split (multiple-value-call #'list (%parse-body body))))
        `(let ((,(car vars) ,form)) ,@(car split) ,@(cadr split)))
      (let ((r (gensym "REST")))
        `(multiple-value-call (lambda (&optional ,@vars &rest ,r) (declare (ignore ,r)) ,@body)
           ,form))))

(defmacro psetq (&rest pairs)
  (let ((lets nil) (sets nil))
    (tagbody
     next
       (when pairs
         (let ((g (gensym)))
           (setq lets (cons (list g (cadr pairs)) lets))
           (setq sets (cons g (cons (car pairs) sets))))
         (setq pairs (cddr pairs))
         (go next)))
    `(let ,(nreverse lets) (setq ,@(nreverse sets)) nil)))

;;; DO, DO*, DOLIST, DOTIMES, PROG, PROG*: an implicit BLOCK NIL around a TAGBODY whose
;;; loop tags are gensyms, so user tags in the body work.
(defun %expand-do (bindings end body parallel)
  (multiple-value-bind (decls forms) (%parse-body body)
    (let ((start (gensym "DO")) (steps nil))
      (let ((bs bindings))
        (tagbody
         next
           (when bs
             (let ((b (car bs)))
               (when (and (consp b) (cddr b))
                 (setq steps (cons (caddr b) (cons (car b) steps)))))
             (setq bs (cdr bs))
             (go next))))
      `(block nil
         (,(if parallel 'let 'let*)
          ,(%mapcar1 (lambda (b) (if (consp b) (list (car b) (cadr b)) b)) bindings)
          ,@decls
          (tagbody
             ,start
             (if ,(car end) (return-from nil (progn ,@(cdr end))))
             ,@forms
             ,@(when steps (list (cons (if (if parallel (cddr steps) nil) 'psetq 'setq) (nreverse steps))))
             (go ,start)))))))

(defmacro do (bindings end &body body) (%expand-do bindings end body t))
(defmacro do* (bindings end &body body) (%expand-do bindings end body nil))

;;; Whether a body has go tags: DOLIST then needs a TAGBODY per element (it binds its
;;; variable afresh for each element, as SBCL does); most bodies have none, and a TAGBODY
;;; entered per iteration costs the VM an unwind entry.
(defun %tags-p (forms)
  (if (consp forms) (if (atom (car forms)) t (%tags-p (cdr forms))) nil))

(defmacro dolist (spec &body body)
  (let ((var (car spec)) (list (cadr spec)) (result (caddr spec))
        (l (gensym "LIST")) (start (gensym "DOLIST")))
    (multiple-value-bind (decls forms) (%parse-body body)
      `(block nil
         (let ((,l ,list))
           (tagbody
              ,start
              (unless (consp ,l)
                (return-from nil (let ((,var nil)) (declare (ignorable ,var)) ,result)))
              (let ((,var (car ,l)))
                ,@decls
                ,@(if (%tags-p forms) (list (cons 'tagbody forms)) forms))
              (setq ,l (cdr ,l))
              (go ,start)))))))

(defmacro dotimes (spec &body body)
  (let ((var (car spec)) (count (cadr spec)) (result (caddr spec))
        (n (gensym "N")) (start (gensym "DOTIMES")))
    (multiple-value-bind (decls forms) (%parse-body body)
      `(block nil
         (let ((,n ,count) (,var 0))
           ,@decls
           (tagbody
              ,start
              (if (>= ,var ,n) (return-from nil ,result))
              ,@forms
              (setq ,var (1+ ,var))
              (go ,start)))))))

(defmacro prog (vars &body body)
  (multiple-value-bind (decls forms) (%parse-body body)
    `(block nil (let ,vars ,@decls (tagbody ,@forms)))))
(defmacro prog* (vars &body body)
  (multiple-value-bind (decls forms) (%parse-body body)
    `(block nil (let* ,vars ,@decls (tagbody ,@forms)))))

;;; CASE and friends.  A clause's keys are compared with EQL.
(defun %memql (x list)
  (do ((l list (cdr l))) ((null l) nil)
    (if (eql x (car l)) (return l))))

(defun %case-clauses (k clauses)
  (%mapcar1 (lambda (c)
              (let ((keys (car c)) (body (or (cdr c) '(nil))))
                (cond ((or (eq keys t) (eq keys 'otherwise)) `(t ,@body))
                      ((null keys) `(nil))
                      ((atom keys) `((eql ,k ',keys) ,@body))
                      ((null (cdr keys)) `((eql ,k ',(car keys)) ,@body))
                      (t `((%memql ,k ',keys) ,@body)))))
            clauses))

(defun %case-keys (clauses)
  (let ((all nil))
    (dolist (c clauses (nreverse all))
      (if (listp (car c))
          (dolist (k (car c)) (setq all (cons k all)))
          (setq all (cons (car c) all))))))

(defmacro case (keyform &rest clauses)
  (let ((k (gensym "KEY")))
    `(let ((,k ,keyform)) (cond ,@(%case-clauses k clauses)))))

(defmacro ecase (keyform &rest clauses)
  (let ((k (gensym "KEY")))
    `(let ((,k ,keyform))
       (cond ,@(%case-clauses k clauses)
             (t (%case-failure ,k 'ecase ',(%case-keys clauses)))))))

(defmacro typecase (keyform &rest clauses)
  (let ((k (gensym "KEY")))
    `(let ((,k ,keyform))
       (cond ,@(%mapcar1 (lambda (c)
                           (if (or (eq (car c) t) (eq (car c) 'otherwise))
                               `(t nil ,@(cdr c))
                               `((typep ,k ',(car c)) nil ,@(cdr c))))
                         clauses)))))

(defmacro etypecase (keyform &rest clauses)
  (let ((k (gensym "KEY")))
    `(let ((,k ,keyform))
       (cond ,@(%mapcar1 (lambda (c) `((typep ,k ',(car c)) nil ,@(cdr c))) clauses)
             (t (%case-failure ,k 'etypecase ',(%mapcar1 #'car clauses)))))))

;;; Multiple values.
(defmacro multiple-value-list (form) `(multiple-value-call #'list ,form))

(defmacro multiple-value-setq (vars form)
  (let ((temps (%mapcar1 (lambda (v) (declare (ignore v)) (gensym)) vars)) (sets nil))
    (do ((v vars (cdr v)) (g temps (cdr g))) ((null v))
      (setq sets (cons `(setf ,(car v) ,(car g)) sets)))
    (if (null vars)
        `(values ,form)
        `(multiple-value-bind ,temps ,form ,@(nreverse sets) ,(car temps)))))

(defmacro nth-value (n form) `(car (nthcdr ,n (multiple-value-list ,form))))

;;; Global variables and declarations.
(if (fboundp 'proclaim) nil
    (defun proclaim (spec)
      (when (and (consp spec) (eq (car spec) 'special))
        (dolist (s (cdr spec)) (%proclaim-special s)))
      nil))

(defmacro declaim (&rest specs)
  `(eval-when (:compile-toplevel :load-toplevel :execute)
     ,@(%mapcar1 (lambda (s) `(proclaim ',s)) specs)))

(defmacro defvar (name &optional (value nil valuep) doc)
  (declare (ignore doc))
  `(progn
     (eval-when (:compile-toplevel :load-toplevel :execute) (%proclaim-special ',name))
     ,@(when valuep `((unless (boundp ',name) (set ',name ,value))))
     ',name))

(defmacro defparameter (name value &optional doc)
  (declare (ignore doc))
  `(progn
     (eval-when (:compile-toplevel :load-toplevel :execute) (%proclaim-special ',name))
     (set ',name ,value)
     ',name))

(defmacro defconstant (name value &optional doc)
  (declare (ignore doc))
  `(eval-when (:compile-toplevel :load-toplevel :execute)
     (%define-constant ',name ,value)
     ',name))

(defun %define-constant (name value)
  ;; A constant keeps its first value when redefined with an EQL/EQUAL one.
  (if (and (boundp name) (equal (symbol-value name) value))
      name
      (if (fboundp '%proclaim-constant)
          (progn (%proclaim-constant name value) name)
          (progn (%proclaim-special name) (set name value) name))))

(defmacro in-package (name)
  `(eval-when (:compile-toplevel :load-toplevel :execute)
     (setq *package* (%find-package-or-lose ',name))))

(defun %find-package-or-lose (name)
  (or (find-package (if (symbolp name) (symbol-name name) name))
      (error 'package-error :package name
             :format-control "The name ~S does not designate any package."
             :format-arguments (list (if (symbolp name) (symbol-name name) name)))))

(defconstant lambda-list-keywords
  '(&allow-other-keys &aux &body &environment &key &optional &rest &whole))

;;; The fixnum range of rt/value.h, should the numbers module not have defined it yet.
(if (boundp 'most-positive-fixnum) nil (%define-constant 'most-positive-fixnum 4611686018427387903))
(if (boundp 'most-negative-fixnum) nil (%define-constant 'most-negative-fixnum -4611686018427387904))
(if (boundp 'pi) nil (%define-constant 'pi 3.141592653589793d0))
;;; The VM's limits (vm_internal.h: VM_CALL_ARGUMENTS_LIMIT, VM_MV_LIMIT).
(defconstant call-arguments-limit 65536)
(defconstant multiple-values-limit 1024)

;;; DESTRUCTURING-BIND (also used by DEFSTRUCT and the setf machinery).
(defun %dbind-error (what list lambda-list)
  (error 'program-error
         :format-control "Error while parsing arguments to DESTRUCTURING-BIND:~%  ~A in~%    ~S~%  to satisfy lambda list~%    ~S"
         :format-arguments (list what list lambda-list)))

(defun %dbind-bindings (ll var whole)
  ;; Returns LET* bindings that destructure the list held by VAR along LL.
  (let ((bindings nil) (state :req) (rest var) (restp nil) (keyp nil) (allow nil)
        (keys nil))
    (when (and (consp ll) (eq (car ll) '&whole))
      (setq bindings (%dbind-var (cadr ll) var bindings) ll (cddr ll)))
    (do ((l ll (cdr l))) ((atom l)
                          (when l
                            (setq bindings (%dbind-var l rest bindings) restp t)))
      (let ((x (car l)))
        (cond ((eq x '&optional) (setq state :opt))
              ((or (eq x '&rest) (eq x '&body))
               (setq bindings (%dbind-var (cadr l) rest bindings) restp t l (cdr l)))
              ((eq x '&key) (setq state :key keyp t))
              ((eq x '&allow-other-keys) (setq allow t))
              ((eq x '&aux) (setq state :aux))
              ((eq x '&environment) (setq l (cdr l)))
              ((eq state :req)
               (let ((g (gensym)))
                 (setq bindings
                       (%dbind-var x `(if (consp ,rest) (car ,rest)
                                          (%dbind-error "too few elements" ,whole ',ll))
                                   bindings))
                 (setq bindings (cons (list g `(cdr ,rest)) bindings) rest g)))
              ((eq state :opt)
               (let ((g (gensym)) (v (if (consp x) (car x) x))
                     (init (if (consp x) (cadr x))) (sp (if (consp x) (caddr x))))
                 (when sp (setq bindings (cons (list sp `(consp ,rest)) bindings)))
                 (setq bindings (%dbind-var v `(if (consp ,rest) (car ,rest) ,init) bindings))
                 (setq bindings (cons (list g `(cdr ,rest)) bindings) rest g)))
              ((eq state :key)
               (let* ((spec (if (consp x) (car x) x))
                      (v (if (consp spec) (cadr spec) spec))
                      (key (if (consp spec) (car spec) (intern (symbol-name v) "KEYWORD")))
                      (init (if (consp x) (cadr x))) (sp (if (consp x) (caddr x)))
                      (g (gensym)))
                 (setq keys (cons key keys))
                 (setq bindings (cons (list g `(%getf-cell ,rest ',key)) bindings))
                 (when sp (setq bindings (cons (list sp `(if ,g t nil)) bindings)))
                 (setq bindings (%dbind-var v `(if ,g (cadr ,g) ,init) bindings))))
              ((eq state :aux)
               (setq bindings (cons (if (consp x) (list (car x) (cadr x)) (list x nil))
                                    bindings))))))
    (cond (keyp
           (unless allow
             (setq bindings (cons (list (gensym) `(%check-keys ,rest ',keys ,whole)) bindings))))
          ((not restp)
           (setq bindings (cons (list (gensym) `(if ,rest (%dbind-error "too many elements" ,whole ',ll)))
                                bindings))))
    bindings))

(defun %dbind-var (pattern form bindings)
  (if (listp pattern)
      (let ((g (gensym)))
        (let ((inner (%dbind-bindings pattern g g)))
          (append inner (cons (list g form) bindings))))
      (cons (list pattern form) bindings)))

(defun %getf-cell (plist key)
  (do ((l plist (cddr l))) ((atom l) nil)
    (if (eq (car l) key) (return l))))

(defun %check-keys (plist keys whole)
  (unless (getf plist :allow-other-keys)
    (do ((l plist (cddr l))) ((atom l) nil)
      (unless (or (%memql (car l) keys) (eq (car l) :allow-other-keys))
        (error 'program-error
               :format-control "Unknown keyword ~S in ~S"
               :format-arguments (list (car l) whole))))))

(defmacro destructuring-bind (lambda-list expression &body body)
  (let ((g (gensym "WHOLE")))
    (multiple-value-bind (decls forms) (%parse-body body)
      `(let* ((,g ,expression) ,@(reverse (%dbind-bindings lambda-list g g)))
         ,@decls
         ,@forms))))
