/* SPDX-License-Identifier: MIT */
/* FAT names. Spec: fatgen103 section 6.1 (short names: characters, upper
 * case, space padding), 7 (long names: characters, checksum) and 7.4 (basis
 * name generation and numeric tails). Upper-casing is ASCII only, never the
 * locale's; characters outside ASCII become '_' in short names and are kept in
 * the long name. */
#include <string.h>

#include "fat_priv.h"
#include "vcompose/util.h"

/* Characters a short name may hold besides A-Z and 0-9 (fatgen103 6.1). */
static bool short_char_ok(unsigned char c)
{
	if ((c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'))
		return true;
	return c != 0 && strchr("!#$%&'()-@^_`{}~", c) != NULL;
}

long fat_name_to_utf16(const char *name, size_t len, uint16_t *out, size_t max, const char *what,
		       struct vc_error *err)
{
	size_t n;

	if (len == 0 || (len == 1 && name[0] == '.') ||
	    (len == 2 && name[0] == '.' && name[1] == '.'))
		return vc_errorf(err, VC_EINVAL, "fat: '%s': not a file name", what);
	if (name[len - 1] == '.' || name[len - 1] == ' ')
		return vc_errorf(err, VC_EINVAL,
				 "fat: '%s': FAT cannot store a name ending in a dot or a space",
				 what);
	/* ASCII bytes are whole characters in UTF-8: find the first one FAT
	 * refuses, and report whichever fault comes first in the name. */
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)name[i];
		if (c < 0x20 || (c < 0x80 && strchr("\"*/:<>?\\|", c))) {
			if (vc_utf8_to_utf16(name, i, NULL, 0) < 0)
				goto bad_utf8;
			return vc_errorf(
			    err, VC_EINVAL,
			    "fat: '%s': FAT cannot store the character 0x%02x in a name", what,
			    (unsigned)c);
		}
	}
	long units = vc_utf8_to_utf16(name, len, out, out ? max : 0);
	if (units < 0)
		goto bad_utf8;
	n = (size_t)units;
	if (n > FAT_NAME_UNITS)
		return vc_errorf(err, VC_EINVAL,
				 "fat: '%s': name is %zu UTF-16 units long, FAT stores at most %d",
				 what, n, FAT_NAME_UNITS);
	return (long)n;
bad_utf8:
	return vc_errorf(err, VC_EINVAL, "fat: '%s': name is not valid UTF-8", what);
}

bool fat_name_is_short(const char *name, size_t len, uint8_t out[11])
{
	const char *dot = memchr(name, '.', len);
	size_t base_len = dot ? (size_t)(dot - name) : len;
	size_t ext_len = dot ? len - base_len - 1 : 0;

	if (base_len == 0 || base_len > 8 || ext_len > 3 || (dot && ext_len == 0))
		return false;
	for (size_t i = 0; i < len; i++)
		if (name + i != dot && !short_char_ok((unsigned char)name[i]))
			return false;
	memset(out, ' ', 11);
	memcpy(out, name, base_len);
	if (dot)
		memcpy(out + 8, dot + 1, ext_len);
	return true;
}

void fat_short_basis(const char *name, size_t len, uint8_t out[11], bool *ret_need_tail)
{
	size_t start = 0, last_dot = len, i;
	size_t nb = 0, ne = 0;
	bool lossy = false;

	memset(out, ' ', 11);
	while (start < len && (name[start] == '.' || name[start] == ' '))
		start++;
	if (start > 0)
		lossy = true;
	for (i = start; i < len; i++)
		if (name[i] == '.')
			last_dot = i;
	for (i = start; i < len; i++) {
		unsigned char c = (unsigned char)name[i];
		bool in_ext = last_dot < len && i > last_dot;

		if (i == last_dot)
			continue;
		if (c == ' ' || c == '.') { /* stripped */
			lossy = true;
			continue;
		}
		if (c >= 0x80) {
			/* one '_' per code point: skip its continuation bytes */
			while (i + 1 < len && ((unsigned char)name[i + 1] & 0xc0) == 0x80)
				i++;
			c = '_';
			lossy = true;
		} else {
			c = (unsigned char)fat_ascii_upper((char)c);
			if (!short_char_ok(c)) {
				c = '_';
				lossy = true;
			}
		}
		if (in_ext) {
			if (ne < 3)
				out[8 + ne] = c;
			else
				lossy = true;
			ne++;
		} else {
			if (nb < 8)
				out[nb] = c;
			else
				lossy = true;
			nb++;
		}
	}
	if (nb == 0) {
		out[0] = '_';
		lossy = true;
	}
	*ret_need_tail = lossy;
}

void fat_short_with_tail(const uint8_t basis[11], unsigned n, uint8_t out[11])
{
	char tail[12];
	size_t tl = 0, bl = 0;

	memcpy(out, basis, 11);
	/* "~" then the decimal digits of n */
	tail[tl++] = '~';
	{
		char digits[10];
		size_t nd = 0;
		do {
			digits[nd++] = (char)('0' + n % 10);
			n /= 10;
		} while (n && nd < sizeof(digits));
		while (nd)
			tail[tl++] = digits[--nd];
	}
	while (bl < 8 && basis[bl] != ' ')
		bl++;
	if (bl > 8 - tl)
		bl = 8 - tl;
	memcpy(out + bl, tail, tl);
	for (size_t i = bl + tl; i < 8; i++)
		out[i] = ' ';
}

uint8_t fat_lfn_checksum(const uint8_t short_name[11])
{
	uint8_t sum = 0;

	for (int i = 0; i < 11; i++)
		sum = (uint8_t)(((sum & 1) ? 0x80 : 0) + (sum >> 1) + short_name[i]);
	return sum;
}

/* Days since 1970-01-01 to a civil date (proleptic Gregorian). */
static void civil_from_days(int64_t z, int *ret_y, unsigned *ret_m, unsigned *ret_d)
{
	z += 719468;
	int64_t era = (z >= 0 ? z : z - 146096) / 146097;
	unsigned doe = (unsigned)(z - era * 146097);
	unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	int64_t y = (int64_t)yoe + era * 400;
	unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	unsigned mp = (5 * doy + 2) / 153;
	unsigned d = doy - (153 * mp + 2) / 5 + 1;
	unsigned m = mp < 10 ? mp + 3 : mp - 9;

	*ret_y = (int)(y + (m <= 2));
	*ret_m = m;
	*ret_d = d;
}

void fat_dos_time(int64_t epoch, uint16_t *ret_date, uint16_t *ret_time)
{
	const int64_t lo = 315532800;  /* 1980-01-01 00:00:00 UTC */
	const int64_t hi = 4354819199; /* 2107-12-31 23:59:59 UTC */
	int64_t days, secs;
	int y;
	unsigned m, d;

	if (epoch < lo)
		epoch = lo;
	if (epoch > hi)
		epoch = hi;
	days = epoch / 86400;
	secs = epoch % 86400;
	civil_from_days(days, &y, &m, &d);
	*ret_date = (uint16_t)(((unsigned)(y - 1980) << 9) | (m << 5) | d);
	*ret_time = (uint16_t)(((unsigned)(secs / 3600) << 11) | ((unsigned)(secs / 60 % 60) << 5) |
			       (unsigned)(secs % 60 / 2));
}
