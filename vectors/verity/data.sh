# SPDX-License-Identifier: MIT
# gen_data KIND BYTES: the data of a vector case on stdout.
#   aes:  the AES-128-CTR keystream of key 000102..0f, IV 0 (FIPS-197's key),
#         i.e. reproducible incompressible bytes, made with openssl.
#   zero: zeros.
gen_data() {
	case $1 in
	aes)
		openssl enc -aes-128-ctr -nosalt -K 000102030405060708090a0b0c0d0e0f \
			-iv 00000000000000000000000000000000 -in /dev/zero 2>/dev/null |
			head -c "$2"
		;;
	zero) head -c "$2" /dev/zero ;;
	*) echo "gen_data: unknown kind $1" >&2; return 1 ;;
	esac
}
