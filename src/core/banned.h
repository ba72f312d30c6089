/* core/banned.h — libc calls that invite overflows or hide allocation, made compile
 * errors inside the library (after git's banned.h). scripts/check-style.sh compiles
 * every library source with this header included after the system headers, so a
 * banned call fails CI. Use the httpx__ equivalents or snprintf instead. */
#ifndef HTTPX_CORE_BANNED_H
#define HTTPX_CORE_BANNED_H

#define HTTPX__BANNED(func) sorry_##func##_is_banned_in_libhttpx

#undef strcpy
#define strcpy(x, y) HTTPX__BANNED(strcpy)
#undef strcat
#define strcat(x, y) HTTPX__BANNED(strcat)
#undef strncpy
#define strncpy(x, y, n) HTTPX__BANNED(strncpy)
#undef strncat
#define strncat(x, y, n) HTTPX__BANNED(strncat)
#undef sprintf
#define sprintf(...) HTTPX__BANNED(sprintf)
#undef vsprintf
#define vsprintf(...) HTTPX__BANNED(vsprintf)
#undef gets
#define gets(x) HTTPX__BANNED(gets)
#undef strtok
#define strtok(x, y) HTTPX__BANNED(strtok)
#undef gmtime
#define gmtime(x) HTTPX__BANNED(gmtime)
#undef localtime
#define localtime(x) HTTPX__BANNED(localtime)

#endif
