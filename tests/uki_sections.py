#!/usr/bin/python3
# SPDX-License-Identifier: MIT
# uki_sections.py UKI DIR: writes each section of a PE file to DIR/NAME (the
# name without its dot) as systemd-stub measures it: the bytes in memory,
# VirtualSize long, the raw data followed by zeros. Independent of vcompose's
# reader: plain struct unpacking of the PE Format's headers.
import os
import struct
import sys

data = open(sys.argv[1], "rb").read()
out = sys.argv[2]
pe = struct.unpack_from("<I", data, 0x3C)[0]
assert data[pe:pe + 4] == b"PE\0\0"
n_sections, = struct.unpack_from("<H", data, pe + 6)
opt_size, = struct.unpack_from("<H", data, pe + 20)
table = pe + 24 + opt_size
os.makedirs(out, exist_ok=True)
for i in range(n_sections):
    name, vsize, va, raw_size, raw_off = struct.unpack_from("<8sIIII", data, table + 40 * i)
    name = name.rstrip(b"\0").decode()
    loaded = data[raw_off:raw_off + min(raw_size, vsize)]
    mem = loaded + b"\0" * (vsize - len(loaded))
    with open(os.path.join(out, name.lstrip(".")), "wb") as f:
        f.write(mem)
