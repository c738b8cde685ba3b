/* SPDX-License-Identifier: MIT */
/* Internal error codes. They live in their own range and are translated before anything reaches a guest:
 * a guest only ever sees the SBI error codes of include/hvabi.h. */
#ifndef HYP_HVERR_H
#define HYP_HVERR_H

#define HV_OK 0
#define HV_EINVAL (-1001)  /* malformed argument */
#define HV_ENOMEM (-1002)  /* out of frames or table slots */
#define HV_EEXIST (-1003)  /* something is already mapped there */
#define HV_ENOENT (-1004)  /* nothing is mapped there */
#define HV_ERANGE (-1005)  /* outside the address space */

#endif
