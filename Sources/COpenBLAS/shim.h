#ifndef RINGMASTER_COPENBLAS_SHIM_H
#define RINGMASTER_COPENBLAS_SHIM_H
#include <cblas.h>
#endif
