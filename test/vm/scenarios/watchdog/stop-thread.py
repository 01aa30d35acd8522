#!/usr/bin/python3
# Stops one thread of another process and keeps it stopped until this helper is killed or the
# process dies: stop-thread.py TID. A ptrace stop (PTRACE_SEIZE + PTRACE_INTERRUPT) holds just
# that thread; SIGSTOP would stop the whole process. Prints "stopped TID" once it holds.
import ctypes
import os
import sys

PTRACE_SEIZE = 0x4206
PTRACE_INTERRUPT = 0x4207
WALL = 0x40000000

libc = ctypes.CDLL(None, use_errno=True)
libc.ptrace.argtypes = [ctypes.c_long, ctypes.c_int, ctypes.c_void_p, ctypes.c_void_p]
libc.ptrace.restype = ctypes.c_long


def ptrace(request, tid):
    if libc.ptrace(request, tid, None, None) != 0:
        sys.exit("stop-thread: ptrace(%#x, %d): %s" %
                 (request, tid, os.strerror(ctypes.get_errno())))


tid = int(sys.argv[1])
ptrace(PTRACE_SEIZE, tid)
ptrace(PTRACE_INTERRUPT, tid)
os.waitpid(tid, WALL)
print("stopped %d" % tid, flush=True)
# Every further stop (the kill that ends the process) is left alone: the thread stays stopped
# until the process exits, then waitpid fails and the helper ends.
while True:
    try:
        os.waitpid(tid, WALL)
    except ChildProcessError:
        break
