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
