/* httpx/export.h — symbol visibility. The library is built with hidden visibility;
 * only declarations marked HTTPX_API are exported. */
#ifndef HTTPX_EXPORT_H
#define HTTPX_EXPORT_H

#if defined(HTTPX_BUILDING) && defined(__GNUC__)
#define HTTPX_API __attribute__((visibility("default")))
#else
#define HTTPX_API
#endif

#endif
