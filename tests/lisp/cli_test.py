#!/usr/bin/env python3
"""tests/lisp/cli_test.py KONS-LISP: the command-line contract of kons-lisp.

--script (output, exit status, errors on stderr with a backtrace), --eval/--load in
order and --quit, --heap-size exhaustion as a storage-condition that a handler catches
and the world survives, and the terminal REPL: values, the debugger with numbered
restarts, and Ctrl-C interrupting a running evaluation into the debugger (on a real
pseudo-terminal, as a user would type it). Prints one line per check and
`N passed, M failed`; exits non-zero when a check failed.
"""
import os
import pty
import re
import signal
import select
import subprocess
import sys
import tempfile
import time

LISP = sys.argv[1]
passed = failed = 0


def check(name, ok, detail=""):
    global passed, failed
    if ok:
        passed += 1
        print(f"ok   {name}")
    else:
        failed += 1
        print(f"FAIL {name}: {detail}")


def run(args, stdin=None, timeout=60):
    p = subprocess.run([LISP] + args, input=stdin, capture_output=True, text=True, timeout=timeout)
    return p.returncode, p.stdout, p.stderr


def script(text):
    f = tempfile.NamedTemporaryFile("w", suffix=".lisp", delete=False)
    f.write(text)
    f.close()
    return f.name


# --script: only the program's output, exit 0
path = script('(format t "hello ~a~%" (+ 1 2))\n(print (list 1 "two" #\\3))\n')
rc, out, err = run(["--script", path])
check("script output and exit 0", rc == 0 and out == 'hello 3\n\n(1 "two" #\\3) ' and err == "",
      f"rc={rc} out={out!r} err={err!r}")

# --script: an unhandled error prints the condition and a backtrace on stderr, exit 1,
# and nothing after the error runs
path = script('(print :before)\n(defun f (x) (car x))\n(f 5)\n(print :after)\n')
rc, out, err = run(["--script", path])
check("script error exits 1 with condition and backtrace",
      rc == 1 and ":BEFORE" in out and ":AFTER" not in out
      and "is not of type LIST" in err and "Backtrace" in err and "(F 5)" in err,
      f"rc={rc} out={out!r} err={err[:400]!r}")
os.unlink(path)

# Bad input in a script: a clear reader error on stderr and exit 1, never a crash, and
# the forms before it have run
for name, text, message in [
        ("unbalanced parentheses", b'(print 1)\n(print (+ 1 2)\n', "unbalanced parentheses"),
        ("unknown # syntax", b'(print 1)\n(print #q1)\n', "no dispatch function defined for #\\q"),
        ("invalid UTF-8", b'(print 1)\n(print "a\xff\xfeb")\n', "invalid UTF-8"),
        ("a huge number", b'(print 1)\n(print 1e999999999999)\n', "READER-ERROR")]:
    f = tempfile.NamedTemporaryFile("wb", suffix=".lisp", delete=False)
    f.write(text)
    f.close()
    rc, out, err = run(["--script", f.name])
    check(f"script with {name}: reader error, exit 1",
          rc == 1 and out.strip() == "1" and message in err, f"rc={rc} out={out!r} err={err[:300]!r}")
    os.unlink(f.name)

# --eval and --load run in order; --quit ends before the REPL
path = script('(setq *x* (* *x* 10))\n')
rc, out, err = run(["--eval", "(defvar *x* 4)", "--load", path, "--eval", "(print (+ *x* 2))", "--quit"])
check("--eval/--load in order, --quit", rc == 0 and out.strip() == "42", f"rc={rc} out={out!r} err={err!r}")
os.unlink(path)

# --heap-size: exhaustion is a storage-condition a handler can catch; the world goes on
form = ("(handler-case (let ((l nil)) (loop (push (make-array 1000) l)))"
        " (storage-condition (c) (format t \"caught ~a~%\" (type-of c))))")
rc, out, err = run(["--heap-size", "64M", "--eval", form,
                    "--eval", "(print (length (make-list 100000)))", "--quit"], timeout=120)
check("heap exhaustion is a storage-condition and the world survives",
      rc == 0 and "caught STORAGE-CONDITION" in out and "100000" in out,
      f"rc={rc} out={out!r} err={err[-400:]!r}")

# ... and unhandled under --script it is reported like any error, not a crash
path = script("(let ((l nil)) (loop (push (make-array 1000) l)))\n")
rc, out, err = run(["--heap-size", "64M", "--script", path], timeout=120)
check("unhandled heap exhaustion under --script exits 1",
      rc == 1 and "Heap exhausted" in err, f"rc={rc} err={err[-400:]!r}")
os.unlink(path)

# The REPL on a pipe: values, the debugger with numbered restarts, choosing one
rc, out, err = run([], stdin="(+ 1 2)\n(car 5)\n0\n(list 1 2)\n")
check("REPL values, debugger restarts by number, continuing",
      rc == 0 and out.startswith("* 3\n") and "is not of type LIST" in out and "0: [ABORT]" in out
      and "Backtrace" in out and "(1 2)" in out, f"rc={rc} out={out!r} err={err!r}")


# Ctrl-C on a terminal interrupts a running evaluation into the debugger
def read_until(fd, needle, timeout):
    buf = b""
    end = time.time() + timeout
    while time.time() < end:
        r, _, _ = select.select([fd], [], [], 0.1)
        if r:
            try:
                chunk = os.read(fd, 4096)
            except OSError:
                break
            if not chunk:
                break
            buf += chunk
            if needle in buf:
                return True, buf
    return False, buf


pid, fd = pty.fork()
if pid == 0:
    os.execv(LISP, [LISP])
ok, buf = read_until(fd, b"* ", 20)
os.write(fd, b"(loop)\r")
time.sleep(1.0)
os.write(fd, b"\x03")   # the terminal turns ^C into SIGINT
ok1, buf1 = read_until(fd, b"Backtrace", 20)
m = re.search(rb"(\d+): \[ABORT\]", buf1)
os.write(fd, (m.group(1) if m else b"0") + b"\r")
os.write(fd, b"(* 6 7)\r")
ok2, buf2 = read_until(fd, b"42", 20)
check("Ctrl-C interrupts into the debugger and the REPL goes on", ok and ok1 and ok2,
      f"{(buf + buf1 + buf2)[-600:]!r}")
os.write(fd, b"\x04")   # end of input ends the REPL
for _ in range(50):
    if os.waitpid(pid, os.WNOHANG) != (0, 0):
        break
    time.sleep(0.1)
else:
    os.kill(pid, signal.SIGKILL)
    os.waitpid(pid, 0)
    check("REPL ends at end of input", False, "still running")

print(f"{passed} passed, {failed} failed")
sys.exit(1 if failed else 0)
