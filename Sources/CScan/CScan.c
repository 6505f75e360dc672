/* CScan has only inline functions, in include/CScan.h. */
#include "CScan.h"
