;;;; vm-threads.lisp -- green threads (rt-vm): creation and joining, preemption of busy
;;;; loops, per-thread dynamic bindings, mutexes and condition variables, interrupts.

(defvar *vm-thread-var* :global)

(deftest threads-basic
  (let ((th (kons:make-thread (lambda () (values 1 2)) :name "worker")))
    (is (equal (multiple-value-list (kons:join-thread th)) '(1 2)))
    (is (equal (kons:thread-name th) "worker"))
    (is (not (kons:thread-alive-p th)))))

(deftest threads-do-not-starve
  ;; a busy loop that only ends when another thread sets the flag
  (let* ((flag nil)
         (spinner (kons:make-thread (lambda () (let ((n 0)) (loop until flag do (incf n)) n))))
         (setter (kons:make-thread (lambda () (setq flag t) :set))))
    (is (eq (kons:join-thread setter) :set))
    (is (integerp (kons:join-thread spinner)))))

(deftest threads-dynamic-bindings
  (let ((th (kons:make-thread (lambda ()
                                (let ((*vm-thread-var* :thread))
                                  (kons:thread-yield)
                                  (sleep 0.02)
                                  *vm-thread-var*)))))
    (let ((*vm-thread-var* :main))
      (sleep 0.01)
      (is (eq *vm-thread-var* :main)))
    (is (eq (kons:join-thread th) :thread))
    (is (eq *vm-thread-var* :global))))

(deftest threads-mutex-and-condition
  (let* ((m (kons:make-mutex :name "m"))
         (cv (kons:make-condition-variable))
         (box nil)
         (consumer (kons:make-thread
                    (lambda ()
                      (kons:grab-mutex m)
                      (loop until box do (kons:condition-wait cv m))
                      (prog1 box (kons:release-mutex m))))))
    (sleep 0.01)
    (kons:grab-mutex m)
    (setq box :item)
    (kons:condition-notify cv)
    (kons:release-mutex m)
    (is (eq (kons:join-thread consumer) :item))))

(deftest threads-counter-with-mutex
  (let* ((m (kons:make-mutex)) (count 0)
         (threads (loop for i below 4
                        collect (kons:make-thread
                                 (lambda () (dotimes (j 1000)
                                              (kons:grab-mutex m)
                                              (incf count)
                                              (kons:release-mutex m)))))))
    (dolist (th threads) (kons:join-thread th))
    (is (= count 4000))))

(deftest threads-interrupt
  (let* ((hit nil)
         (th (kons:make-thread (lambda () (loop until hit do (kons:thread-yield)) :done))))
    (kons:interrupt-thread th (lambda () (setq hit t)))
    (is (eq (kons:join-thread th) :done))
    (is hit)))

(defvar *vm-eval-flag* nil)
(deftest threads-preempt-inside-eval
  ;; the spinning thread runs code it compiled with EVAL: still preemptible
  (let ((th (kons:make-thread
             (lambda () (eval '(let ((n 0)) (loop until *vm-eval-flag* do (incf n)) :ok))))))
    (sleep 0.05)
    (setq *vm-eval-flag* t)
    (is (eq (kons:join-thread th) :ok))))

;;; Threads inside C callbacks: MAPHASH is a C primitive that holds GC roots while it
;;; calls its function. Each thread has its own root stack, so a thread spinning or
;;; blocking in such a callback is switched like any other.
(defvar *vm-callback-flag* nil)
(deftest threads-preempt-inside-c-callback
  (setq *vm-callback-flag* nil)
  (let* ((table (let ((h (make-hash-table))) (setf (gethash :k h) 1) h))
         (spinner (kons:make-thread
                   (lambda ()
                     (let ((n 0))
                       (maphash (lambda (k v) (declare (ignore k v))
                                  (loop until *vm-callback-flag* do (incf n)))
                                table)
                       :spun))))
         (setter (kons:make-thread (lambda () (sleep 0.02) (setq *vm-callback-flag* t) :set))))
    (is (eq (kons:join-thread setter) :set))
    (is (eq (kons:join-thread spinner) :spun))))

(deftest threads-block-inside-c-callback
  (let* ((m (let ((m (kons:make-mutex))) (kons:grab-mutex m) m))   ; held before the thread exists
         (table (let ((h (make-hash-table))) (setf (gethash :k h) 1) h))
         (inside (kons:make-thread
                  (lambda ()
                    (let ((r nil))
                      (maphash (lambda (k v) (declare (ignore k))
                                 (kons:grab-mutex m)   ; blocks: main holds it
                                 (setq r v)
                                 (kons:release-mutex m))
                               table)
                      r)))))
    (sleep 0.02)
    (kons:release-mutex m)
    (is (eql (kons:join-thread inside) 1))))

(deftest threads-gc-roots-in-interleaved-callbacks
  ;; Two threads allocate inside callbacks while they are preempted back and forth: the
  ;; values their C frames hold (MAPHASH's pair list) must survive every collection.
  (let* ((table (let ((h (make-hash-table)))
                  (dotimes (i 50) (setf (gethash i h) (list i (* i i))))
                  h))
         (work (lambda ()
                 (let ((sum 0))
                   (dotimes (round 20)
                     (maphash (lambda (k v)
                                (let ((junk (make-list 200 :initial-element k)))
                                  ;; switch and collect while inside the callback
                                  (when (zerop (mod k 10)) (kons:thread-yield))
                                  (when (= k 25) (kons:gc))
                                  (incf sum (+ (length junk) (second v)))))
                              table))
                   sum)))
         (a (kons:make-thread work))
         (b (kons:make-thread work))
         (expected (* 20 (+ (* 50 200) (loop for i below 50 sum (* i i))))))
    (is (= (kons:join-thread a) expected))
    (is (= (kons:join-thread b) expected))))
;;; C state that follows the thread: a compile (running a slow macro), a read (running
;;; #.), and the signalling of an error (running a slow handler) are each switched out in
;;; the middle while another thread does the same, and they end in any order.
(defmacro vm-slow-macro (seconds form) (sleep seconds) form)

(deftest threads-interleaved-compiles
  (let* ((a (kons:make-thread
             (lambda () (funcall (compile nil '(lambda () (vm-slow-macro 0.02 (list 1 1))))))))
         (b (kons:make-thread
             (lambda () (funcall (compile nil '(lambda () (vm-slow-macro 0.2 (list 2 2)))))))))
    (is (equal (kons:join-thread a) '(1 1)))
    (kons:gc :full t)   ; B's compile is still running: its values must be scanned
    (kons:gc)
    (is (equal (kons:join-thread b) '(2 2)))))

(deftest threads-interleaved-reads
  (let* ((a (kons:make-thread
             (lambda () (read-from-string "(#1=(a) #.(progn (sleep 0.02) 1) #1#)"))))
         (b (kons:make-thread
             (lambda () (read-from-string "(#1=(b) #.(progn (sleep 0.2) 2) #1#)"))))
         (ra (kons:join-thread a))
         (rb (kons:join-thread b)))
    (is (equal ra '((a) 1 (a))))
    (is (eq (first ra) (third ra)))
    (is (equal rb '((b) 2 (b))))
    (is (eq (first rb) (third rb)))))

(deftest threads-handlers-in-many-threads
  ;; each thread is inside its handler at once: the runtime's count of nested errors is
  ;; the thread's own, so no thread's error falls through to the top level
  (let ((threads (loop repeat 4
                       collect (kons:make-thread
                                (lambda ()
                                  (block done
                                    (handler-bind ((type-error
                                                     (lambda (c) (declare (ignore c))
                                                       (sleep 0.05)
                                                       (return-from done :handled))))
                                      (car (identity 5)))))))))
    (is (equal (mapcar #'kons:join-thread threads) '(:handled :handled :handled :handled)))))
