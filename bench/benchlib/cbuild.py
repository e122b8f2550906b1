# SPDX-License-Identifier: GPL-3.0-or-later
"""The benchmark's own C programs (echo.c, h2oconst.c, ctlbench.c): each
one file in bench/, built into bench/out/ when it or a bench/*.h header
is newer than the program there."""

import glob
import os
import subprocess

BENCH = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(BENCH, "out")


def build(name, *flags, libs=()):
    """bench/out/NAME from bench/NAME.c (cc -O2 -Wall -pthread, then
    flags; libs after the source). Its path; RuntimeError naming the
    command when cc fails."""
    src, exe = os.path.join(BENCH, name + ".c"), os.path.join(OUT, name)
    deps = [src] + glob.glob(os.path.join(BENCH, "*.h"))
    if os.path.exists(exe) and os.path.getmtime(exe) >= max(map(os.path.getmtime, deps)):
        return exe
    os.makedirs(OUT, exist_ok=True)
    cmd = ["cc", "-O2", "-Wall", "-pthread", *flags, "-o", exe, src, *libs]
    if subprocess.run(cmd).returncode != 0:
        raise RuntimeError("could not build %s: %s" % (name, " ".join(cmd)))
    return exe
