/* Error codes returned (negated) by Portcullis functions; 0 is success. See
 * docs/architecture.md "Error policy". */
#ifndef CORE_LIB_ERRNO_H
#define CORE_LIB_ERRNO_H

#define E_OK 0
#define E_NOMEM 1   /* out of memory, or over an owner's limit */
#define E_INVAL 2   /* malformed argument */
#define E_RANGE 3   /* address or size outside what is allowed */
#define E_EXIST 4   /* already present / overlapping */
#define E_NOENT 5   /* no such object */
#define E_TIMEOUT 6 /* a bounded poll expired */
#define E_NODEV 7   /* hardware absent or unsupported */
#define E_IO 8      /* hardware reported an error */

const char *err_name(int err);

#endif
