/* SPDX-License-Identifier: MIT */
/* The guest ABI: SBI extension and function IDs, error codes, and the hypervisor's own extension; the one
 * header both the hypervisor and guest-pv include. Only fixed-width types and constants live here. */
#ifndef HVABI_H
#define HVABI_H

#include <stdint.h>

/* SBI error codes (SBI spec, binary-encoding.adoc, "Standard SBI Errors"). */
#define SBI_SUCCESS 0
#define SBI_ERR_FAILED (-1)
#define SBI_ERR_NOT_SUPPORTED (-2)
#define SBI_ERR_INVALID_PARAM (-3)
#define SBI_ERR_DENIED (-4)
#define SBI_ERR_INVALID_ADDRESS (-5)
#define SBI_ERR_ALREADY_AVAILABLE (-6)
#define SBI_ERR_ALREADY_STARTED (-7)
#define SBI_ERR_ALREADY_STOPPED (-8)
#define SBI_ERR_NO_SHMEM (-9)
#define SBI_ERR_INVALID_STATE (-10)
#define SBI_ERR_BAD_RANGE (-11)
#define SBI_ERR_TIMEOUT (-12)
#define SBI_ERR_IO (-13)

/* The SBI version the hypervisor implements for its guests: 2.0. */
#define SBI_SPEC_VERSION ((2u << 24) | 0u)

/* Legacy extensions (ext-legacy.adoc): the EID is the function. */
#define SBI_EXT_LEGACY_SET_TIMER 0x00
#define SBI_EXT_LEGACY_CONSOLE_PUTCHAR 0x01
#define SBI_EXT_LEGACY_CONSOLE_GETCHAR 0x02
#define SBI_EXT_LEGACY_CLEAR_IPI 0x03
#define SBI_EXT_LEGACY_SEND_IPI 0x04
#define SBI_EXT_LEGACY_REMOTE_FENCE_I 0x05
#define SBI_EXT_LEGACY_REMOTE_SFENCE_VMA 0x06
#define SBI_EXT_LEGACY_REMOTE_SFENCE_VMA_ASID 0x07
#define SBI_EXT_LEGACY_SHUTDOWN 0x08

/* Base (ext-base.adoc). */
#define SBI_EXT_BASE 0x10
#define SBI_BASE_GET_SPEC_VERSION 0
#define SBI_BASE_GET_IMPL_ID 1
#define SBI_BASE_GET_IMPL_VERSION 2
#define SBI_BASE_PROBE_EXTENSION 3
#define SBI_BASE_GET_MVENDORID 4
#define SBI_BASE_GET_MARCHID 5
#define SBI_BASE_GET_MIMPID 6

/* Timer (ext-time.adoc). */
#define SBI_EXT_TIME 0x54494d45
#define SBI_TIME_SET_TIMER 0

/* IPI, RFENCE and HSM (ext-ipi.adoc, ext-rfence.adoc, ext-hsm.adoc). */
#define SBI_EXT_IPI 0x735049
#define SBI_EXT_RFENCE 0x52464e43
#define SBI_EXT_HSM 0x48534d
#define SBI_HSM_HART_START 0
#define SBI_HSM_HART_STOP 1
#define SBI_HSM_HART_GET_STATUS 2
#define SBI_HSM_STATE_STARTED 0
#define SBI_HSM_STATE_STOPPED 1

/* System reset (ext-sys-reset.adoc). */
#define SBI_EXT_SRST 0x53525354
#define SBI_SRST_SYSTEM_RESET 0
#define SBI_SRST_TYPE_SHUTDOWN 0
#define SBI_SRST_TYPE_COLD_REBOOT 1
#define SBI_SRST_TYPE_WARM_REBOOT 2
#define SBI_SRST_REASON_NONE 0
#define SBI_SRST_REASON_SYSFAIL 1

/* Debug console (ext-debug-console.adoc). */
#define SBI_EXT_DBCN 0x4442434e
#define SBI_DBCN_WRITE 0
#define SBI_DBCN_READ 1
#define SBI_DBCN_WRITE_BYTE 2

/* Our SBI implementation ID. It is outside the registered range of ext-base.adoc ("SBI Implementation
 * IDs" ends at 11) so no guest mistakes us for a registered implementation. */
#define HV_SBI_IMPL_ID 0x4d485650u /* "MHVP" */
#define HV_SBI_IMPL_VERSION 0x00000100u /* 0.1.0: major << 16 | minor << 8 | patch */

#endif
