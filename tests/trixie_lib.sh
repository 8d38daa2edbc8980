# SPDX-License-Identifier: MIT
# Debian 13 (trixie) packages for the tests, without installing them: the
# .debs are fetched with apt from the mirror apt is configured with (suite
# trixie, a private apt configuration and state: the host's apt is not
# touched), cached in /var/cache/vcompose/trixie-debs when writable (else
# the build folder), and unpacked with dpkg-deb -x. Programs run against
# the unpacked libraries through trixie's own ld.so, so Debian 12 runs
# erofs-utils 1.8 (the first to read zstd, DEFLATE and big pclusters).
# Sourced after tests/lib.sh. Sets $trixie_cache.
if mkdir -p /var/cache/vcompose/trixie-debs 2>/dev/null && [ -w /var/cache/vcompose/trixie-debs ]; then
	trixie_cache=/var/cache/vcompose/trixie-debs
else
	trixie_cache=$VC_BUILD_DIR/trixie-debs
	mkdir -p "$trixie_cache"
fi

# trixie_apt CMD ARGS...: runs an apt command (apt-get, apt-cache) on a
# private configuration and state for trixie, updated on first use.
trixie_apt() {
	if [ -z "${trixie_apt_dir:-}" ]; then
		m=$(apt_mirror) || return 1
		trixie_apt_dir=$(mktemp -d "${VC_TMP:-/tmp}/apt.XXXXXX")
		a=$trixie_apt_dir
		mkdir -p "$a/lists/partial" "$a/cache/archives/partial"
		: >"$a/status"
		echo "deb $m trixie main" >"$a/sources.list"
		cat >"$a/apt.conf" <<CONF
Dir::Etc::sourcelist "$a/sources.list";
Dir::Etc::sourceparts "/nonexistent";
Dir::State::Lists "$a/lists";
Dir::State::status "$a/status";
Dir::Cache "$a/cache";
APT::Sandbox::User "root";
CONF
		APT_CONFIG=$a/apt.conf apt-get -q update >"$a/log" 2>&1 ||
			{ tail -n 5 "$a/log" >&2; return 1; }
	fi
	APT_CONFIG=$trixie_apt_dir/apt.conf "$@"
}

# trixie_fetch PKG...: the packages' .debs into $trixie_cache (once).
trixie_fetch() {
	need=
	for p in "$@"; do
		ls "$trixie_cache/${p}_"*.deb >/dev/null 2>&1 || need="$need $p"
	done
	[ -z "$need" ] && return 0
	(cd "$trixie_cache" && trixie_apt apt-get -q download $need >"$trixie_apt_dir/dl.log" 2>&1) ||
		{ tail -n 5 "$trixie_apt_dir/dl.log" >&2; return 1; }
}

# trixie_kernel: the path of trixie's kernel package (linux-image-6.12...),
# fetched once; the version is the one linux-image-amd64 depends on.
trixie_kernel() {
	f=$(ls "$trixie_cache"/linux-image-6.*.deb 2>/dev/null | head -n 1)
	if [ -z "$f" ]; then
		p=$(trixie_apt apt-cache depends linux-image-amd64 |
			sed -n 's/.*Depends: \(linux-image-6\.[^ ]*\).*/\1/p' | head -n 1)
		[ -n "$p" ] && trixie_fetch "$p" || return 1
		f=$(ls "$trixie_cache"/linux-image-6.*.deb | head -n 1)
	fi
	echo "$f"
}

# trixie_erofs_utils DIR: erofs-utils 1.8 of trixie unpacked in DIR, with
# the libraries it needs; defines t_fsck, t_mkfs and t_dump to run them.
trixie_erofs_utils() {
	d=$1
	pkgs="erofs-utils libc6 libdeflate0 liblz4-1 liblzma5 libselinux1 libpcre2-8-0 libuuid1 libxxhash0 libzstd1 zlib1g"
	trixie_fetch $pkgs || return 1
	if [ ! -x "$d/usr/bin/fsck.erofs" ]; then
		mkdir -p "$d"
		for p in $pkgs; do
			dpkg-deb -x "$(ls "$trixie_cache/${p}_"*.deb | head -n 1)" "$d" || return 1
		done
	fi
	trixie_root=$(cd "$d" && pwd)
	t_run() { "$trixie_root/usr/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2" \
		--library-path "$trixie_root/usr/lib/x86_64-linux-gnu" "$@"; }
	t_fsck() { t_run "$trixie_root/usr/bin/fsck.erofs" "$@"; }
	t_mkfs() { t_run "$trixie_root/usr/bin/mkfs.erofs" "$@"; }
	t_dump() { t_run "$trixie_root/usr/bin/dump.erofs" "$@"; }
	t_fsck -V | grep -q "erofs-utils) 1\.[89]" || { t_fsck -V >&2; return 1; }
}
