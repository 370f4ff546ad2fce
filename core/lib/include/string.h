/* libc header names for libfdt's libfdt_env.h, served by core/lib (target build only). */
#include "core/lib/string.h"
