
/* common includes for the cmocka unit tests of the core */

#ifndef UNIT_H_INCLUDED_
#define UNIT_H_INCLUDED_


#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <string.h>
#include <stdlib.h>
#include <stdio.h>
#include <cmocka.h>

#include <ticket.h>


#define S(lit)  { sizeof(lit) - 1, lit }


#endif /* UNIT_H_INCLUDED_ */
