/* CPrefetch has only inline functions, in include/CPrefetch.h. */
#include "CPrefetch.h"
