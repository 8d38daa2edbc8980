# SPDX-License-Identifier: MIT
# Writable state, built as nobody (no boot): overlayroot with an ext4 write
# partition, an Amazon-like /var partition from <partitions> and a disk
# <size>. Checked: sfdisk (types, flags, order), fsck.ext4 -fn on every ext4
# we wrote, debugfs (the tree's /var content with its owners, modes and
# extended attributes (user, capability, POSIX ACL); rw/
# and work/ on the write partition), fsck.erofs (an empty /var mount point
# and the /etc/fstab line in the root), the UKI's command line and its second
# initrd (our generator), `vcompose inspect` and `vcompose verify`; two builds
# (other TMPDIR, TZ, umask, a second later) byte-identical; then bad input:
# each exit 1, the XML line, nothing left in the output folder.
. "$VC_SOURCE_DIR/tests/build_lib.sh"
for t in mke2fs debugfs fsck.ext4 fsck.erofs sfdisk objcopy; do
	command -v $t >/dev/null || [ -x /usr/sbin/$t ] || { echo "SKIP: missing $t"; exit 77; }
done
PATH=$PATH:/usr/sbin
export SOURCE_DATE_EPOCH=1700000000
oem_inputs VCOMPOSE-PARTS
# /var with content the partition must keep: owners, modes, a symlink, a fifo
mkdir -p tree/var/lib/app tree/var/log tree/etc
echo state > tree/var/lib/app/data
mkdir -p tree/var/cache && head -c 4194304 /dev/urandom > tree/var/cache/blob
echo line > tree/var/log/messages
chmod 0640 tree/var/lib/app/data
# extended attributes the partition must keep: a user one, a file
# capability, a POSIX ACL (the VFS's format; ext4 stores its own)
echo tool > tree/var/lib/app/tool
python3 - tree/var/lib/app <<'PY' || { echo "SKIP: no extended attributes here"; exit 77; }
import os, struct, sys
d = sys.argv[1]
os.setxattr(d + "/tool", "user.vcompose", b"kept")
# vfs_cap_data v2: cap_net_raw (13) permitted and effective
os.setxattr(d + "/tool", "security.capability", struct.pack("<IIIII", 0x02000001, 1 << 13, 0, 0, 0))
# posix_acl_xattr v2: user::rwx user:1000:r-x group::r-x mask::r-x other::---
acl = struct.pack("<I", 2) + b"".join(struct.pack("<HHI", t, p, i) for t, p, i in
      [(1, 7, 0xffffffff), (2, 5, 1000), (4, 5, 0xffffffff), (0x10, 5, 0xffffffff), (0x20, 0, 0xffffffff)])
os.setxattr(d, "system.posix_acl_access", acl)
PY
ln -s data tree/var/lib/app/link
printf '# static\n' > tree/etc/fstab
cat > tree.mtree <<'EOF'
#mtree
./var/lib/app/data type=file mode=0640 uid=105 gid=106
./var/log/fifo type=fifo mode=0600 uid=0 gid=0
EOF
chmod -R a+rX tree
cat > parts.xml <<XML
<?xml version="1.0"?>
<image schemaversion="8.5" name="parts">
  <description type="system"><author>t</author><contact>t</contact><specification>t</specification></description>
  <preferences>
    <version>1.0</version>
    <type image="oem" overlayroot="true" overlayroot_readonly_filesystem="erofs" filesystem="ext4"
          erofscompression="lz4" firmware="efi" verity_blocks="all" verity_partition="true"
          kernelcmdline="panic=-1 quiet">
      <bootloader name="systemd_boot" console="serial" timeout="0">
        <dracut><uki><kernel name="vmlinuz-$kver"/></uki></dracut>
      </bootloader>
      <size unit="M">160</size>
      <partitions>
        <partition name="var" size="24" mountpoint="/var" filesystem="ext4"/>
      </partitions>
    </type>
  </preferences>
</image>
XML
chmod a+r parts.xml tree.mtree
scratch out
scratch out2
vc build parts.xml --root tree --mtree tree.mtree -o out --initrd initrd.img >/dev/null 2>build.err ||
	{ cat build.err >&2; fail "build"; }
m=out/parts.manifest.json
[ "$(stat -c %s out/parts.raw)" = $((160 << 20)) ] || fail "disk size $(stat -c %s out/parts.raw), not <size> 160M"
sfdisk -V out/parts.raw >/dev/null || fail "sfdisk -V"
sfdisk --json out/parts.raw | python3 -c '
import json, sys
p = json.load(sys.stdin)["partitiontable"]["partitions"]
types = [x["type"] for x in p]
assert types[3:] == ["4D21B016-B534-45C2-A9FB-5C16E091FD2D", "0FC63DAF-8483-4772-8E79-3D69D8477DE4"], types
assert p[3]["name"] == "p.lxvar" and p[3]["size"] == 24 * 2048, p[3]
assert p[4]["name"] == "overlay" and p[4].get("attrs") == "GUID:59", p[4]
# the write partition ends 1 MiB before the disk (the backup GPT)
assert p[4]["start"] + p[4]["size"] == 160 * 2048 - 2048, p[4]' || fail "partitions"

extract out/parts.raw $m 3 var.img
extract out/parts.raw $m 4 rw.img
extract out/parts.raw $m 1 root.img
for f in var.img rw.img; do
	fsck.ext4 -fn $f >fsck.log 2>&1 || { cat fsck.log >&2; fail "fsck.ext4 -fn $f"; }
done
debugfs -R "stat /lib/app/data" var.img 2>/dev/null > data.stat
grep -q "Mode:  0640" data.stat && grep -q "User:   105   Group:   106" data.stat ||
	{ cat data.stat >&2; fail "/var/lib/app/data: mode or owner"; }
[ "$(debugfs -R 'cat /lib/app/data' var.img 2>/dev/null)" = state ] || fail "/var/lib/app/data content"
debugfs -R "ea_list /lib/app/tool" var.img 2>/dev/null > tool.ea
grep -q 'user.vcompose (4) = "kept"' tool.ea && grep -q 'security.capability (20)' tool.ea ||
	{ cat tool.ea >&2; fail "/var/lib/app/tool: extended attributes"; }
debugfs -R "ea_list /lib/app" var.img 2>/dev/null > app.ea
# in ext4's own format: version 1, then user:1000:r-x (tag 2, perm 5, id 1000)
grep -q 'system.posix_acl_access (28) = 01 00 00 00 01 00 07 00 02 00 05 00 e8 03 00 00 ' app.ea ||
	{ cat app.ea >&2; fail "/var/lib/app: the POSIX ACL"; }
debugfs -R "stat /log/fifo" var.img 2>/dev/null | grep -q "Type: FIFO" || fail "the fifo"
debugfs -R "stat /lib/app/link" var.img 2>/dev/null | grep -q "Fast link dest: \"data\"" || fail "the symlink"
debugfs -R "ls -l /" rw.img 2>/dev/null > rw.ls
grep -qE ' rw$' rw.ls && grep -qE ' work$' rw.ls || { cat rw.ls >&2; fail "rw/ and work/ on the write partition"; }
# the root: /var empty (the content left), the fstab line appended
fsck.erofs --extract=root root.img >/dev/null 2>&1 || fail "fsck.erofs"
[ -d root/var ] && [ -z "$(ls -A root/var)" ] || fail "/var in the root is not an empty mount point: $(ls -A root/var)"
uuid=$(python3 -c 'import json,sys; print([p for p in json.load(open(sys.argv[1]))["disk"]["partitions"] if p["label"]=="p.lxvar"][0]["uuid"])' $m)
grep -q '^# static$' root/etc/fstab && grep -qE '^UUID=[0-9a-f-]{36} /var ext4 defaults 0 2$' root/etc/fstab ||
	{ cat root/etc/fstab >&2; fail "/etc/fstab"; }
fsuuid=$(dumpe2fs -h var.img 2>/dev/null | sed -n 's/^Filesystem UUID: *//p')
grep -q "^UUID=$fsuuid /var" root/etc/fstab || fail "fstab names $(cat root/etc/fstab), the file system is $fsuuid"
# the command line and the generator's initrd in the UKI
rwuuid=$(part_field $m 4 uuid)
json_get $m cmdline | grep -q "rd.root.overlay.write=/dev/disk/by-partuuid/$rwuuid" ||
	fail "cmdline: $(json_get $m cmdline)"
objcopy -O binary --only-section=.initrd out/parts.efi initrd.bin
grep -aq 'usr/lib/systemd/system-generators/vcompose-overlayroot-generator' initrd.bin ||
	fail "the UKI's initrd lacks the overlayroot generator"
# inspect lists the file systems; verify checks GPT and verity, not the ext4s
vc inspect out/parts.raw --json > inspect.json
python3 -c '
import json, sys
p = json.load(open(sys.argv[1]))["disk"]["partitions"]
assert [x["content"] for x in p[3:]] == ["ext4", "ext4"], p
assert p[3]["ext4"]["label"] == "VAR" and p[4]["ext4"]["label"] == "overlay", p' inspect.json ||
	fail "inspect"
vc verify out/parts.raw > verify.log || { cat verify.log >&2; fail "verify"; }

# the same bytes from another build: other TMPDIR, TZ, umask, time
sleep 1
mkdir -p tmp2 && chmod 777 tmp2
(umask 077; TMPDIR=$PWD/tmp2 TZ=Pacific/Kiritimati $VC_RUN "$VCOMPOSE" build parts.xml --root tree \
	--mtree tree.mtree -o out2 --initrd initrd.img >/dev/null) || fail "second build"
for f in parts.raw parts.efi parts.manifest.json; do
	cmp out/$f out2/$f || fail "$f differs between two builds"
done

# no overlay; /var takes the rest of a 96 MiB disk, a raw partition after it;
# /var/log (given first) a partition of its own inside /var
sed -e 's|<partitions>|<partitions><partition name="log" size="8" mountpoint="/var/log" filesystem="ext4"/>|' \
	-e 's|overlayroot="true" overlayroot_readonly_filesystem="erofs" filesystem="ext4"|filesystem="erofs"|' \
	-e 's|<size unit="M">160</size>|<size unit="M">96</size>|' \
	-e 's|size="24" mountpoint="/var"|size="all" mountpoint="/var"|' \
	-e 's|</partitions>|<partition name="raw" size="8M" part_id="9"/></partitions>|' parts.xml > all.xml
chmod a+r all.xml
scratch out3
vc build all.xml --root tree -o out3 --initrd initrd.img >/dev/null 2>build.err ||
	{ cat build.err >&2; fail "build with size=all"; }
sfdisk --json out3/parts.raw | python3 -c '
import json, sys
p = json.load(sys.stdin)["partitiontable"]["partitions"]
var = [x for x in p if x["name"] == "p.lxvar"][0]
raw = [x for x in p if x["name"] == "p.lxraw"][0]
assert raw["node"].endswith("9") and raw["size"] == 8 * 2048, raw
assert var.get("attrs") == "GUID:59" and var["start"] + var["size"] == raw["start"], (var, raw)
assert raw["start"] + raw["size"] == 96 * 2048 - 2048, raw' || fail "size=all: partitions"
json_get out3/parts.manifest.json cmdline | grep -q rd.root.overlay && fail "overlay words without overlayroot"
extract out3/parts.raw out3/parts.manifest.json 1 root3.img
fsck.erofs --extract=root3 root3.img >/dev/null 2>&1 || fail "fsck.erofs (size=all)"
grep -qE '^UUID=[0-9a-f-]{36} /var ext4 defaults,x-systemd.growfs 0 2$' root3/etc/fstab ||
	{ cat root3/etc/fstab >&2; fail "fstab of the filling partition"; }
# nested: /var's line before /var/log's; /var keeps an empty log/, the log
# partition has its content
[ "$(grep -oE ' /var(/log)? ' root3/etc/fstab | tr -d ' ' | tr '\n' ' ')" = "/var /var/log " ] ||
	{ cat root3/etc/fstab >&2; fail "fstab: /var, then /var/log"; }
ix() { python3 -c 'import json,sys; print([i for i, p in enumerate(json.load(open(sys.argv[1]))["disk"]["partitions"]) if p["label"] == sys.argv[2]][0])' out3/parts.manifest.json "$1"; }
extract out3/parts.raw out3/parts.manifest.json "$(ix p.lxvar)" var3.img
extract out3/parts.raw out3/parts.manifest.json "$(ix p.lxlog)" log3.img
for f in var3.img log3.img; do
	fsck.ext4 -fn $f >fsck.log 2>&1 || { cat fsck.log >&2; fail "fsck.ext4 -fn $f"; }
done
[ "$(debugfs -R 'ls -l /log' var3.img 2>/dev/null | awk 'NF { print $NF }' | tr '\n' ' ')" = ". .. " ] ||
	{ debugfs -R 'ls -l /log' var3.img >&2; fail "/var/log in the /var partition is not an empty mount point"; }
[ "$(debugfs -R 'cat /messages' log3.img 2>/dev/null)" = line ] || fail "/var/log/messages in the log partition"

# bad input: exit 1, the line, nothing left
bad() { # NAME SUBSTRING SED-EXPRESSION
	sed "$3" parts.xml > "$1.xml"
	chmod a+r "$1.xml"
	scratch "o-$1"
	expect_exit 1 "$2" build "$1.xml" --root tree -o "o-$1" --initrd initrd.img
	[ -z "$(ls -A "o-$1")" ] || fail "$1: left $(ls -A "o-$1")"
}
bad small 'small.xml:14: <partition name="var" size="3M">: too small: about' 's/size="24"/size="3"/'
bad nodir "no such folder" 's|mountpoint="/var"|mountpoint="/srv"|'
bad root "root file system" 's|mountpoint="/var"|mountpoint="/"|'
bad dotdot "inside the tree" 's|mountpoint="/var"|mountpoint="/var/../etc"|'
bad erofs 'erofs.xml:6: <type filesystem="erofs">: erofs is read-only' 's|overlayroot_readonly_filesystem="erofs" filesystem="ext4"|overlayroot_readonly_filesystem="erofs" filesystem="erofs"|'
bad xfs 'reproducible' 's|mountpoint="/var" filesystem="ext4"|mountpoint="/var" filesystem="xfs"|'
bad disk "disk.xml:12: <size>: 20 MiB given" 's|<size unit="M">160</size>|<size unit="M">20</size>|'
echo ok
