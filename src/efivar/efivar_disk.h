/* SPDX-License-Identifier: MIT */
/* On-disk records of authenticated variable updates and signature lists.
 * Spec: UEFI 2.10 sections 8.2.1 (WIN_CERTIFICATE, WIN_CERTIFICATE_UEFI_GUID),
 * 8.2.2 (EFI_VARIABLE_AUTHENTICATION_2), 8.3 (EFI_TIME), 32.4.1
 * (EFI_SIGNATURE_LIST, EFI_SIGNATURE_DATA). All little-endian; GUIDs in
 * EFI's mixed-endian encoding (Data1..Data3 little-endian, Data4 as is). */
#ifndef VC_EFIVAR_DISK_H
#define VC_EFIVAR_DISK_H

#include <assert.h>
#include <stddef.h>
#include <stdint.h>

struct efi_time_disk {	       /* EFI_TIME, 16 bytes */
	uint8_t year[2];       /* le16, 1900..9999 */
	uint8_t month;	       /* 1..12 */
	uint8_t day;	       /* 1..31 */
	uint8_t hour;	       /* 0..23 */
	uint8_t minute;	       /* 0..59 */
	uint8_t second;	       /* 0..59 */
	uint8_t pad1;	       /* 0 */
	uint8_t nanosecond[4]; /* le32, 0 in an authentication descriptor */
	uint8_t time_zone[2];  /* le16 (INT16), 0 in an authentication descriptor */
	uint8_t daylight;      /* 0 */
	uint8_t pad2;	       /* 0 */
};
static_assert(sizeof(struct efi_time_disk) == 16, "EFI_TIME is 16 bytes");

/* EFI_VARIABLE_AUTHENTICATION_2 { TimeStamp, AuthInfo } before the data;
 * AuthInfo is a WIN_CERTIFICATE_UEFI_GUID whose dwLength counts its header
 * (24 bytes) and the PKCS#7 SignedData that follows. */
struct efi_var_auth2_disk {
	struct efi_time_disk timestamp;
	uint8_t dw_length[4];	       /* le32: 24 + the DER's length */
	uint8_t w_revision[2];	       /* le16 0x0200 */
	uint8_t w_certificate_type[2]; /* le16 0x0EF1 WIN_CERT_TYPE_EFI_GUID */
	uint8_t cert_type[16];	       /* EFI_CERT_TYPE_PKCS7_GUID */
	/* uint8_t cert_data[]: DER SignedData, then the variable's data */
};
static_assert(sizeof(struct efi_var_auth2_disk) == 40, "auth2 header is 40 bytes");
static_assert(offsetof(struct efi_var_auth2_disk, cert_type) == 24, "CertType at 24");

#define WIN_CERT_REVISION_2_0  0x0200
#define WIN_CERT_TYPE_EFI_GUID 0x0EF1
#define EFI_WIN_CERT_GUID_HDR  24 /* WIN_CERTIFICATE (8) + CertType (16) */

/* EFI_SIGNATURE_LIST header; SignatureHeaderSize bytes of header, then
 * (SignatureListSize - 28 - SignatureHeaderSize) / SignatureSize entries
 * of EFI_SIGNATURE_DATA { SignatureOwner, SignatureData[SignatureSize-16] }. */
struct efi_sig_list_disk {
	uint8_t signature_type[16];	  /* EFI_CERT_X509_GUID, ... */
	uint8_t signature_list_size[4];	  /* le32: the whole list */
	uint8_t signature_header_size[4]; /* le32: 0 for X.509 */
	uint8_t signature_size[4];	  /* le32: 16 + the data of one entry */
};
static_assert(sizeof(struct efi_sig_list_disk) == 28, "EFI_SIGNATURE_LIST header is 28 bytes");
#define EFI_SIG_DATA_OWNER 16 /* EFI_SIGNATURE_DATA: SignatureOwner (a GUID), then the data */

#endif
