/* httpx.h — the one header users include. See docs/guide/ for a walk-through. */
#ifndef HTTPX_H
#define HTTPX_H

#include "httpx/export.h"
#include "httpx/error.h"
#include "httpx/alloc.h"
#include "httpx/loop.h"
#include "httpx/url.h"
#include "httpx/headers.h"
#include "httpx/request.h"
#include "httpx/response.h"
#include "httpx/client.h"
#include "httpx/async.h"
#include "httpx/parallel.h"
#include "httpx/cookies.h"

#define HTTPX_VERSION_MAJOR 0
#define HTTPX_VERSION_MINOR 1
#define HTTPX_VERSION_PATCH 0
#define HTTPX_VERSION_STRING "0.1.0"

#endif
