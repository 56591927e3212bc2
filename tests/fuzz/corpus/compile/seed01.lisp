(lambda (x) (block b (tagbody t1 (if x (go t2) (return-from b 1)) t2 (catch 'c (throw 'c (values 1 2))))))
