#ifndef RINGMASTER_CZLIB_SHIM_H
#define RINGMASTER_CZLIB_SHIM_H
#include <zlib.h>
#endif
