#!/bin/sh
# SPDX-License-Identifier: MIT
# Benchmarks vcompose sign against its peers: Authenticode of a 64 MiB UKI
# (vcompose sign pe vs sbsign vs osslsigncode sign) and a root-hash signature
# (vcompose sign roothash vs openssl smime). Prints medians of N runs
# (wall clock and user+system CPU time; on a busy machine trust the CPU).
# Usage: bench/sign.sh [path/to/vcompose] [runs]
set -eu
V=${1:-build/src/cli/vcompose}
N=${2:-7}
V=$(cd "$(dirname "$V")" && pwd)/$(basename "$V")
STUB=/usr/lib/systemd/boot/efi/linuxx64.efi.stub
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
cd "$T"
openssl req -x509 -newkey rsa:2048 -nodes -keyout k.pem -out c.pem -subj /CN=bench -days 30 2>/dev/null
printf 'ID=bench\n' > osrel
head -c $((64 << 20)) /dev/urandom > linux
objcopy --add-section .osrel=osrel --change-section-vma .osrel=0x40000 \
	--add-section .linux=linux --change-section-vma .linux=0x50000 "$STUB" uki.efi
printf %s e522df0f97da4febb882ac40f30b37dc0b444bf6df418929463fa25280f09d5c > rh.txt

median() { # commands... : prints "wall W ms, cpu C ms", medians of N runs
	i=0
	: > times
	while [ $i -lt "$N" ]; do
		/usr/bin/time -a -o times -f "%e %U %S" "$@" >/dev/null 2>&1
		i=$((i + 1))
	done
	w=$(awk '{print int($1 * 1000)}' times | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}')
	c=$(awk '{print int(($2 + $3) * 1000)}' times | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}')
	echo "wall $w ms, cpu $c ms"
}
echo "UKI $(stat -c %s uki.efi) bytes, RSA-2048, medians of $N runs:"
printf '  vcompose sign pe      %s\n' "$(median "$V" sign pe --key k.pem --cert c.pem uki.efi -o o1.efi)"
printf '  sbsign                %s\n' "$(median sbsign --key k.pem --cert c.pem --output o2.efi uki.efi)"
if command -v osslsigncode >/dev/null; then
	printf '  osslsigncode sign     %s\n' "$(median sh -c "rm -f o3.efi; osslsigncode sign -certs c.pem -key k.pem -h sha256 -in uki.efi -out o3.efi")"
fi
echo "root hash signature:"
printf '  vcompose sign roothash %s\n' "$(median "$V" sign roothash --key k.pem --cert c.pem --roothash-file rh.txt -o r1.p7s)"
printf '  openssl smime -sign    %s\n' "$(median openssl smime -sign -noattr -nocerts -binary -md sha256 -outform DER -in rh.txt -signer c.pem -inkey k.pem -out r2.p7s)"
