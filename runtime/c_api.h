// The public header as the implementation sees it: with the experimental
// section, since the library implements (and exports) it too.
#pragma once

#ifndef HRT_EXPERIMENTAL_API
#define HRT_EXPERIMENTAL_API 1
#endif
#include "helionrt/helionrt.h"
