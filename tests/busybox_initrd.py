#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
# Writes a gzip'd cpio (newc) initrd with busybox as /init's shell: it prints
# a marker line and /proc/cmdline to the console, runs optional extra shell
# lines, and powers off. No root needed (the /dev/console node is in the cpio).
# Usage: busybox_initrd.py OUT MARKER [EXTRA_SHELL_LINES [HOST_FILE:NAME]...]
# (each HOST_FILE is added at /NAME, executable, with its parent folders, e.g.
# kernel modules to insmod, a program and its libraries)
import gzip, sys

out_path, marker = sys.argv[1], sys.argv[2]
extra = sys.argv[3] if len(sys.argv) > 3 else ""
files = [a.split(":", 1) for a in sys.argv[4:]]
out = bytearray()
ino = [100]

def ent(name, mode, data=b"", rdev=(0, 0)):
    ino[0] += 1
    nb = name.encode() + b"\0"
    hdr = "070701" + "".join("%08X" % v for v in (
        ino[0], mode, 0, 0, 1, 0, len(data), 0, 0, rdev[0], rdev[1], len(nb), 0))
    out.extend(hdr.encode() + nb)
    out.extend(b"\0" * (-len(out) % 4))
    out.extend(data)
    out.extend(b"\0" * (-len(out) % 4))

init = ("#!/bin/busybox sh\n"
        "/bin/busybox mount -t proc proc /proc\n"
        "/bin/busybox mount -t sysfs sys /sys\n"
        "echo \"%s\"\n"
        "echo \"CMDLINE=[$(/bin/busybox cat /proc/cmdline)]\"\n"
        "%s\n"
        "/bin/busybox poweroff -f\n") % (marker, extra)
for d in ("bin", "dev", "proc", "sys"):
    ent(d, 0o040755)
ent("dev/console", 0o020600, rdev=(5, 1))
ent("bin/busybox", 0o100755, open("/bin/busybox", "rb").read())
ent("init", 0o100755, init.encode())
made = set()
for host, name in files:
    parts = name.split("/")[:-1]
    for i in range(1, len(parts) + 1):
        d = "/".join(parts[:i])
        if d not in made and d not in ("bin", "dev", "proc", "sys"):
            made.add(d)
            ent(d, 0o040755)
    ent(name, 0o100755, open(host, "rb").read())
ent("TRAILER!!!", 0)
out.extend(b"\0" * (-len(out) % 512))
open(out_path, "wb").write(gzip.compress(bytes(out), mtime=0))
