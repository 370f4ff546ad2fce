#include "errno.h"

const char *err_name(int err)
{
	static const char *const names[] = {
		"ok", "out of memory", "invalid argument", "out of range", "already exists",
		"not found", "timed out", "no such device", "I/O error",
	};

	if (err < 0)
		err = -err;
	if (err >= (int)(sizeof(names) / sizeof(names[0])))
		return "unknown error";
	return names[err];
}
