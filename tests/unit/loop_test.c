/* loop_test.c — the loop core (timer heap, dispatch safety, post/wake) and the
 * built-in epoll backend. Deterministic timer tests use a fake backend with a
 * hand-driven clock; readiness tests use the real epoll loop. */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "core/clock.h"
#include "httpx/error.h"
#include "httpx/loop.h"
#include "loop/loop.h"

/* ---- a fake backend: the clock and the timer are driven by the test ------ */

typedef struct fake {
    uint64_t now;
    int timer_calls;
    int64_t timer_ms;
    int watch_calls;
    int released;
} fake_t;

static int fake_watch(void *user, int fd, int events, void *token, void **slot)
{
    (void)fd, (void)events, (void)token, (void)slot;
    ((fake_t *)user)->watch_calls++;
    return 0;
}
static int fake_timer(void *user, int64_t ms)
{
    fake_t *f = user;
    f->timer_calls++;
    f->timer_ms = ms;
    return 0;
}
static uint64_t fake_now(void *user)
{
    return ((fake_t *)user)->now;
}
static void fake_release(void *user)
{
    ((fake_t *)user)->released++;
}

static httpx_loop_t *fake_loop(fake_t *f)
{
    memset(f, 0, sizeof *f);
    f->now = 1000;
    f->timer_ms = -1;
    httpx_loop_ops_t ops = {.struct_size = sizeof ops, .watch = fake_watch, .timer = fake_timer,
                            .now = fake_now, .release = fake_release};
    httpx_loop_t *loop = httpx_loop_new_custom(&ops, f, NULL);
    assert_non_null(loop);
    return loop;
}

/* Records the order timers fire in. */
typedef struct rec {
    int order[1024];
    int n;
} rec_t;

typedef struct tctx {
    rec_t *rec;
    int id;
    httpx_timer_t *self;
    httpx_timer_t *victim; /* stopped or freed by this timer's callback */
    int action;            /* 0 record, 1 free victim, 2 stop victim, 3 free self, 4 restart self 0 ms */
} tctx_t;

static void rec_cb(httpx_timer_t *t, void *user)
{
    tctx_t *c = user;
    c->rec->order[c->rec->n++] = c->id;
    switch (c->action) {
    case 1:
        httpx_timer_free(c->victim);
        break;
    case 2:
        httpx_timer_stop(c->victim);
        break;
    case 3:
        httpx_timer_free(t);
        break;
    case 4:
        assert_int_equal(httpx_timer_start(t, 0), 0);
        break;
    default:
        break;
    }
}

static void test_timer_order(void **state)
{
    (void)state;
    httpx_loop_t *loop = httpx_loop_new(NULL);
    assert_non_null(loop);
    rec_t rec = {.n = 0};
    tctx_t c[3] = {{&rec, 30, NULL, NULL, 0}, {&rec, 10, NULL, NULL, 0}, {&rec, 20, NULL, NULL, 0}};
    httpx_timer_t *t[3];
    uint64_t t0 = httpx__clock_ms(); /* before the first start: the deadlines count from here */
    for (int i = 0; i < 3; i++) {
        t[i] = httpx_timer_new(loop, rec_cb, &c[i]);
        assert_non_null(t[i]);
        assert_int_equal(httpx_timer_start(t[i], (uint64_t)c[i].id), 0);
    }
    assert_int_equal(httpx_loop_run(loop), 0); /* returns once every timer fired */
    uint64_t took = httpx__clock_ms() - t0;
    assert_true(took >= 29 && took < 2000);
    assert_int_equal(rec.n, 3);
    assert_int_equal(rec.order[0], 10);
    assert_int_equal(rec.order[1], 20);
    assert_int_equal(rec.order[2], 30);
    for (int i = 0; i < 3; i++)
        httpx_timer_free(t[i]);
    assert_int_equal(httpx_loop_free(loop), 0);
}

static void test_timer_fifo_ties(void **state)
{
    (void)state;
    fake_t f;
    httpx_loop_t *loop = fake_loop(&f);
    rec_t rec = {.n = 0};
    tctx_t c[8];
    httpx_timer_t t[8];
    /* Same deadline reached three ways: started at once, started later with a
     * shorter timeout, and re-started (which puts a timer at the back). */
    for (int i = 0; i < 8; i++) {
        c[i] = (tctx_t){&rec, i, NULL, NULL, 0};
        httpx__timer_init(&t[i], loop, rec_cb, &c[i]);
    }
    for (int i = 0; i < 4; i++)
        assert_int_equal(httpx_timer_start(&t[i], 10), 0);
    f.now += 5;
    for (int i = 4; i < 8; i++)
        assert_int_equal(httpx_timer_start(&t[i], 5), 0);
    assert_int_equal(httpx_timer_start(&t[1], 5), 0); /* now last among equals */
    f.now += 5;
    httpx_loop_timer_fired(loop);
    int want[8] = {0, 2, 3, 4, 5, 6, 7, 1};
    assert_int_equal(rec.n, 8);
    for (int i = 0; i < 8; i++)
        assert_int_equal(rec.order[i], want[i]);
    for (int i = 0; i < 8; i++)
        httpx__timer_release(&t[i]);
    assert_int_equal(httpx_loop_free(loop), 0);
    assert_int_equal(f.released, 1);
}

static void test_timer_rearm_only_on_change(void **state)
{
    (void)state;
    fake_t f;
    httpx_loop_t *loop = fake_loop(&f);
    rec_t rec = {.n = 0};
    tctx_t c = {&rec, 0, NULL, NULL, 0};
    httpx_timer_t a, b, d;
    httpx__timer_init(&a, loop, rec_cb, &c);
    httpx__timer_init(&b, loop, rec_cb, &c);
    httpx__timer_init(&d, loop, rec_cb, &c);

    assert_int_equal(httpx_timer_start(&a, 100), 0);
    assert_int_equal(f.timer_calls, 1);
    assert_int_equal(f.timer_ms, 100);
    assert_int_equal(httpx_timer_start(&b, 200), 0); /* later: no re-arm */
    assert_int_equal(f.timer_calls, 1);
    assert_int_equal(httpx_timer_start(&d, 50), 0); /* earlier: re-arm */
    assert_int_equal(f.timer_calls, 2);
    assert_int_equal(f.timer_ms, 50);
    httpx_timer_stop(&b); /* not the earliest: no re-arm */
    assert_int_equal(f.timer_calls, 2);
    httpx_timer_stop(&d); /* earliest goes: back to a */
    assert_int_equal(f.timer_calls, 3);
    assert_int_equal(f.timer_ms, 100);
    httpx_timer_stop(&a); /* nothing left: disarm */
    assert_int_equal(f.timer_calls, 4);
    assert_int_equal(f.timer_ms, -1);
    httpx_timer_stop(&a); /* idempotent */
    assert_int_equal(f.timer_calls, 4);

    /* After firing, the backend's one-shot timer is re-armed for the next one,
     * once, even when several timers ran. */
    assert_int_equal(httpx_timer_start(&a, 10), 0);
    assert_int_equal(httpx_timer_start(&b, 10), 0);
    assert_int_equal(httpx_timer_start(&d, 30), 0);
    int before = f.timer_calls;
    f.now += 10;
    httpx_loop_timer_fired(loop);
    assert_int_equal(rec.n, 2);
    assert_int_equal(f.timer_calls, before + 1);
    assert_int_equal(f.timer_ms, 20);
    httpx__timer_release(&d);
    assert_int_equal(httpx_loop_free(loop), 0);
}

static void test_timer_heap_random(void **state)
{
    (void)state;
    fake_t f;
    httpx_loop_t *loop = fake_loop(&f);
    enum { N = 1000 };
    static httpx_timer_t t[N];
    static tctx_t c[N];
    static rec_t rec;
    rec.n = 0;
    static uint64_t deadline[N];
    static bool stopped[N];
    srand(12345);
    for (int i = 0; i < N; i++) {
        c[i] = (tctx_t){&rec, i, NULL, NULL, 0};
        httpx__timer_init(&t[i], loop, rec_cb, &c[i]);
        uint64_t ms = (uint64_t)(rand() % 200);
        assert_int_equal(httpx_timer_start(&t[i], ms), 0);
        deadline[i] = f.now + ms;
        stopped[i] = false;
    }
    /* Re-start some (moves them within the heap) and stop others. */
    for (int k = 0; k < 300; k++) {
        int i = rand() % N;
        if (k % 2) {
            httpx_timer_stop(&t[i]);
            stopped[i] = true;
        } else if (!stopped[i]) {
            uint64_t ms = (uint64_t)(rand() % 200);
            assert_int_equal(httpx_timer_start(&t[i], ms), 0);
            deadline[i] = f.now + ms;
        }
    }
    int fired[N] = {0};
    int expect = 0;
    for (int i = 0; i < N; i++)
        expect += !stopped[i];
    /* Advance in steps; each step fires exactly the due ones, in order. */
    uint64_t last_deadline = 0;
    for (int step = 0; step < 25; step++) {
        f.now += 10;
        int from = rec.n;
        f.timer_ms = -1; /* the backend's timer is one-shot: firing disarms it */
        httpx_loop_timer_fired(loop);
        for (int k = from; k < rec.n; k++) {
            int id = rec.order[k];
            assert_false(stopped[id]);
            assert_true(deadline[id] <= f.now);
            assert_true(deadline[id] >= last_deadline);
            last_deadline = deadline[id];
            fired[id]++;
        }
    }
    assert_int_equal(rec.n, expect);
    for (int i = 0; i < N; i++) {
        assert_int_equal(fired[i], stopped[i] ? 0 : 1);
        assert_false(httpx__timer_active(&t[i]));
    }
    assert_int_equal(f.timer_ms, -1); /* and nothing re-armed it */
    assert_int_equal(httpx_loop_free(loop), 0);
}

static void test_timer_stop_free_in_callbacks(void **state)
{
    (void)state;
    fake_t f;
    httpx_loop_t *loop = fake_loop(&f);
    rec_t rec = {.n = 0};
    tctx_t ca = {&rec, 1, NULL, NULL, 1}; /* frees B, due in the same round */
    tctx_t cb = {&rec, 2, NULL, NULL, 0};
    tctx_t cc = {&rec, 3, NULL, NULL, 2}; /* stops D, due in the same round */
    tctx_t cd = {&rec, 4, NULL, NULL, 0};
    tctx_t ce = {&rec, 5, NULL, NULL, 3}; /* frees itself */
    tctx_t cf = {&rec, 6, NULL, NULL, 4}; /* restarts itself at 0 ms */
    tctx_t cg = {&rec, 7, NULL, NULL, 0};
    httpx_timer_t *a = httpx_timer_new(loop, rec_cb, &ca);
    httpx_timer_t *b = httpx_timer_new(loop, rec_cb, &cb);
    httpx_timer_t *c = httpx_timer_new(loop, rec_cb, &cc);
    httpx_timer_t *d = httpx_timer_new(loop, rec_cb, &cd);
    httpx_timer_t *e = httpx_timer_new(loop, rec_cb, &ce);
    httpx_timer_t *ft = httpx_timer_new(loop, rec_cb, &cf);
    httpx_timer_t *g = httpx_timer_new(loop, rec_cb, &cg);
    assert_non_null(g);
    ca.victim = b;
    cc.victim = d;
    httpx_timer_t *all[] = {a, b, c, d, e, ft, g};
    for (int i = 0; i < 7; i++)
        assert_int_equal(httpx_timer_start(all[i], 5), 0);
    f.now += 5;
    httpx_loop_timer_fired(loop);
    /* B was freed and D stopped before their turn; F ran once (its restart waits
     * for the next round even though it is already due). */
    int want[] = {1, 3, 5, 6, 7};
    assert_int_equal(rec.n, 5);
    for (int i = 0; i < 5; i++)
        assert_int_equal(rec.order[i], want[i]);
    assert_true(httpx__timer_active(ft));
    assert_int_equal(f.timer_ms, 0); /* re-armed for the restarted one */
    httpx_loop_timer_fired(loop);
    assert_int_equal(rec.n, 6);
    assert_int_equal(rec.order[5], 6);
    httpx_timer_free(a);
    httpx_timer_free(c);
    httpx_timer_free(d);
    httpx_timer_free(ft);
    httpx_timer_free(g);
    httpx_timer_free(NULL);
    assert_int_equal(httpx_loop_free(loop), 0);
}

static void noop_timer_cb(httpx_timer_t *t, void *u)
{
    (void)t, (void)u;
}

/* ---- fd watches on the epoll loop ---------------------------------------- */

typedef struct ioctx {
    int calls;
    int events;
    httpx_io_t *other; /* freed by this callback if set */
    httpx_io_t **other_slot;
    bool free_self;
} ioctx_t;

static void io_cb(httpx_io_t *io, int events, void *user)
{
    ioctx_t *c = user;
    c->calls++;
    c->events |= events;
    if (c->other_slot && *c->other_slot) {
        httpx_io_free(*c->other_slot);
        *c->other_slot = NULL;
    }
    if (c->free_self)
        httpx_io_free(io);
}

static void test_io_read_write(void **state)
{
    (void)state;
    httpx_loop_t *loop = httpx_loop_new(NULL);
    int sv[2];
    assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, sv), 0);
    ioctx_t c = {0};
    httpx_io_t *io = httpx_io_new(loop, sv[0], io_cb, &c);
    assert_non_null(io);
    assert_int_equal(httpx_io_set(io, HTTPX_IO_READ), 0);
    assert_int_equal(httpx_loop_run_once(loop, 20), 0);
    assert_int_equal(c.calls, 0); /* nothing to read yet */
    assert_int_equal(write(sv[1], "x", 1), 1);
    assert_int_equal(httpx_loop_run_once(loop, 1000), 0);
    assert_int_equal(c.calls, 1);
    assert_int_equal(c.events, HTTPX_IO_READ);
    char ch;
    assert_int_equal(read(sv[0], &ch, 1), 1);

    c = (ioctx_t){0};
    assert_int_equal(httpx_io_set(io, HTTPX_IO_WRITE), 0);
    assert_int_equal(httpx_loop_run_once(loop, 1000), 0);
    assert_int_equal(c.calls, 1);
    assert_int_equal(c.events, HTTPX_IO_WRITE);

    /* No interest: nothing reported, and run() has nothing to wait for. */
    c = (ioctx_t){0};
    assert_int_equal(write(sv[1], "y", 1), 1);
    assert_int_equal(httpx_io_set(io, 0), 0);
    assert_int_equal(httpx_loop_run(loop), 0);
    assert_int_equal(httpx_loop_run_once(loop, 20), 0);
    assert_int_equal(c.calls, 0);
    assert_int_equal(httpx_io_set(io, 8), HTTPX_E_INVAL);

    httpx_io_free(io);
    httpx_io_free(NULL);
    close(sv[0]);
    close(sv[1]);
    assert_int_equal(httpx_loop_free(loop), 0);
}

/* Two fds ready in the same epoll batch: whichever runs first frees the other's
 * watch (and itself); the other must not be called. ASan catches any use after
 * free of the io or the backend's per-fd record. */
static void test_io_free_in_same_batch(void **state)
{
    (void)state;
    httpx_loop_t *loop = httpx_loop_new(NULL);
    int sv[2];
    assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, sv), 0);
    ioctx_t c0 = {0}, c1 = {0};
    httpx_io_t *io0 = httpx_io_new(loop, sv[0], io_cb, &c0);
    httpx_io_t *io1 = httpx_io_new(loop, sv[1], io_cb, &c1);
    c0.other_slot = &io1;
    c1.other_slot = &io0;
    c0.free_self = c1.free_self = true;
    assert_int_equal(httpx_io_set(io0, HTTPX_IO_READ | HTTPX_IO_WRITE), 0);
    assert_int_equal(httpx_io_set(io1, HTTPX_IO_READ | HTTPX_IO_WRITE), 0);
    assert_int_equal(httpx_loop_run_once(loop, 1000), 0);
    assert_int_equal(c0.calls + c1.calls, 1);
    /* Both freed: the loop is idle. */
    assert_int_equal(httpx_loop_run(loop), 0);
    close(sv[0]);
    close(sv[1]);
    assert_int_equal(httpx_loop_free(loop), 0);
}

static void test_io_hangup(void **state)
{
    (void)state;
    httpx_loop_t *loop = httpx_loop_new(NULL);
    int p[2];
    assert_int_equal(pipe2(p, O_CLOEXEC | O_NONBLOCK), 0);
    ioctx_t c = {0};
    httpx_io_t io;
    assert_int_equal(httpx__io_init(&io, loop, p[0], io_cb, &c), 0);
    assert_int_equal(httpx_io_set(&io, HTTPX_IO_READ), 0);
    close(p[1]);
    assert_int_equal(httpx_loop_run_once(loop, 1000), 0);
    assert_int_equal(c.calls, 1);
    assert_int_equal(c.events, HTTPX_IO_READ | HTTPX_IO_WRITE | HTTPX_IO_ERROR);
    /* Interest dropped: a hung-up fd must not spin the loop. */
    c = (ioctx_t){0};
    assert_int_equal(httpx_io_set(&io, 0), 0);
    uint64_t t0 = httpx__clock_ms();
    assert_int_equal(httpx_loop_run_once(loop, 30), 0);
    assert_true(httpx__clock_ms() - t0 >= 25);
    assert_int_equal(c.calls, 0);
    httpx__io_release(&io);
    httpx__io_release(&io); /* twice is harmless */
    close(p[0]);
    assert_int_equal(httpx_loop_free(loop), 0);
}

/* ---- running, stopping, idling ------------------------------------------- */

static void test_run_idle_and_run_once_timeout(void **state)
{
    (void)state;
    httpx_loop_t *loop = httpx_loop_new(HTTPX_LOOP_OPTS(.allocator = NULL));
    assert_non_null(loop);
    uint64_t t0 = httpx__clock_ms();
    assert_int_equal(httpx_loop_run(loop), 0); /* nothing to do: returns at once */
    assert_true(httpx__clock_ms() - t0 < 100);
    t0 = httpx__clock_ms();
    assert_int_equal(httpx_loop_run_once(loop, 60), 0);
    uint64_t took = httpx__clock_ms() - t0;
    assert_true(took >= 55 && took < 1000);
    assert_true(httpx_loop_now(loop) >= t0);
    assert_int_equal(httpx_loop_free(NULL), 0);
    assert_int_equal(httpx_loop_free(loop), 0);
}

/* run_once with a longer timeout than the next timer returns at the timer, and
 * runs it. */
static void test_run_once_runs_timers(void **state)
{
    (void)state;
    httpx_loop_t *loop = httpx_loop_new(NULL);
    rec_t rec = {.n = 0};
    tctx_t c = {&rec, 1, NULL, NULL, 0};
    httpx_timer_t t;
    httpx__timer_init(&t, loop, rec_cb, &c);
    assert_int_equal(httpx_timer_start(&t, 20), 0);
    uint64_t t0 = httpx__clock_ms();
    while (rec.n == 0 && httpx__clock_ms() - t0 < 2000)
        assert_int_equal(httpx_loop_run_once(loop, 5000), 0);
    uint64_t took = httpx__clock_ms() - t0;
    assert_int_equal(rec.n, 1);
    assert_true(took >= 19 && took < 1000);
    httpx__timer_release(&t);
    assert_int_equal(httpx_loop_free(loop), 0);
}

typedef struct stopper {
    httpx_loop_t *loop;
    int n, stop_at;
} stopper_t;

static void stopper_cb(httpx_timer_t *t, void *user)
{
    stopper_t *s = user;
    if (++s->n == s->stop_at)
        httpx_loop_stop(s->loop);
    assert_int_equal(httpx_timer_start(t, 1), 0);
}

static void test_stop(void **state)
{
    (void)state;
    httpx_loop_t *loop = httpx_loop_new(NULL);
    stopper_t s = {loop, 0, 3};
    httpx_timer_t *t = httpx_timer_new(loop, stopper_cb, &s);
    assert_int_equal(httpx_timer_start(t, 1), 0);
    assert_int_equal(httpx_loop_run(loop), 0);
    assert_int_equal(s.n, 3);
    assert_true(httpx__timer_active(t)); /* returned on stop, not on idle */
    httpx_timer_free(t);
    assert_int_equal(httpx_loop_free(loop), 0);
}

typedef struct nest {
    httpx_loop_t *loop;
    int run_rc, run_once_rc, free_rc;
    bool inside;
} nest_t;

static void nest_cb(httpx_timer_t *t, void *user)
{
    nest_t *n = user;
    (void)t;
    n->inside = httpx__in_loop_callback();
    n->run_rc = httpx_loop_run(n->loop);
    n->run_once_rc = httpx_loop_run_once(n->loop, 0);
    n->free_rc = httpx_loop_free(n->loop);
}

static void test_run_inside_callback(void **state)
{
    (void)state;
    httpx_loop_t *loop = httpx_loop_new(NULL);
    nest_t n = {loop, 1, 1, 1, false};
    httpx_timer_t t;
    httpx__timer_init(&t, loop, nest_cb, &n);
    assert_int_equal(httpx_timer_start(&t, 0), 0);
    assert_false(httpx__in_loop_callback());
    assert_int_equal(httpx_loop_run(loop), 0);
    assert_false(httpx__in_loop_callback());
    assert_true(n.inside);
    assert_int_equal(n.run_rc, HTTPX_E_SYNC_IN_ASYNC);
    assert_int_equal(n.run_once_rc, HTTPX_E_SYNC_IN_ASYNC);
    assert_int_equal(n.free_rc, HTTPX_E_BUSY);
    httpx__timer_release(&t);
    assert_int_equal(httpx_loop_free(loop), 0);
}

static void test_free_refused_while_refd(void **state)
{
    (void)state;
    httpx_loop_t *loop = httpx_loop_new(NULL);
    httpx__loop_ref(loop);
    httpx__loop_ref(loop);
    assert_int_equal(httpx_loop_free(loop), HTTPX_E_BUSY);
    httpx__loop_unref(loop);
    assert_int_equal(httpx_loop_free(loop), HTTPX_E_BUSY);
    httpx__loop_unref(loop);
    assert_int_equal(httpx_loop_free(loop), 0);
}

/* Freeing a loop with an embedded watch and timer still registered releases the
 * backend's records (no leak under ASan/valgrind). */
static void test_free_with_leftovers(void **state)
{
    (void)state;
    httpx_loop_t *loop = httpx_loop_new(NULL);
    int sv[2];
    assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
    ioctx_t c = {0};
    httpx_io_t io;
    assert_int_equal(httpx__io_init(&io, loop, sv[0], io_cb, &c), 0);
    assert_int_equal(httpx_io_set(&io, HTTPX_IO_READ), 0);
    httpx_timer_t t;
    httpx__timer_init(&t, loop, noop_timer_cb, NULL);
    assert_int_equal(httpx_timer_start(&t, 1000), 0);
    assert_int_equal(httpx_loop_free(loop), 0);
    assert_false(httpx__timer_active(&t));
    close(sv[0]);
    close(sv[1]);
}

/* ---- post queue and wake ------------------------------------------------- */

typedef struct postrec {
    int order[8];
    int n;
    bool in_cb;
} postrec_t;

typedef struct postarg {
    postrec_t *r;
    int id;
} postarg_t;

static void post_fn(void *arg)
{
    postarg_t *a = arg;
    a->r->order[a->r->n++] = a->id;
    a->r->in_cb = httpx__in_loop_callback();
}

static void test_post_fifo(void **state)
{
    (void)state;
    httpx_loop_t *loop = httpx_loop_new(NULL);
    postrec_t r = {.n = 0};
    postarg_t a[3] = {{&r, 1}, {&r, 2}, {&r, 3}};
    for (int i = 0; i < 3; i++)
        assert_int_equal(httpx__loop_post(loop, post_fn, &a[i]), 0);
    assert_int_equal(httpx_loop_run(loop), 0); /* posted work keeps it alive, then idle */
    assert_int_equal(r.n, 3);
    for (int i = 0; i < 3; i++)
        assert_int_equal(r.order[i], i + 1);
    assert_true(r.in_cb);
    /* Work still queued when the loop is freed is dropped without running. */
    assert_int_equal(httpx__loop_post(loop, post_fn, &a[0]), 0);
    assert_int_equal(httpx_loop_free(loop), 0);
    assert_int_equal(r.n, 3);
}

typedef struct thr {
    httpx_loop_t *loop;
    postarg_t arg;
    int post_rc;
    bool use_post;
} thr_t;

static void *thread_main(void *p)
{
    thr_t *t = p;
    struct timespec ts = {0, 50 * 1000 * 1000};
    nanosleep(&ts, NULL);
    if (t->use_post)
        t->post_rc = httpx__loop_post(t->loop, post_fn, &t->arg);
    else
        httpx_loop_wake(t->loop);
    return NULL;
}

static void test_wake_from_thread(void **state)
{
    (void)state;
    httpx_loop_t *loop = httpx_loop_new(NULL);
    postrec_t r = {.n = 0};
    thr_t t = {loop, {&r, 7}, 1, true};
    pthread_t th;
    assert_int_equal(pthread_create(&th, NULL, thread_main, &t), 0);
    uint64_t t0 = httpx__clock_ms();
    while (r.n == 0 && httpx__clock_ms() - t0 < 5000)
        assert_int_equal(httpx_loop_run_once(loop, 5000), 0);
    assert_int_equal(pthread_join(th, NULL), 0);
    assert_int_equal(t.post_rc, 0);
    assert_int_equal(r.n, 1);
    assert_int_equal(r.order[0], 7);
    assert_true(httpx__clock_ms() - t0 < 4000);

    /* A bare wake ends a long wait early. */
    t.use_post = false;
    assert_int_equal(pthread_create(&th, NULL, thread_main, &t), 0);
    t0 = httpx__clock_ms();
    assert_int_equal(httpx_loop_run_once(loop, 5000), 0);
    assert_true(httpx__clock_ms() - t0 < 4000);
    assert_int_equal(pthread_join(th, NULL), 0);
    assert_int_equal(httpx_loop_free(loop), 0);
}

static void test_post_unsupported_without_wake(void **state)
{
    (void)state;
    fake_t f;
    httpx_loop_t *loop = fake_loop(&f);
    postrec_t r = {.n = 0};
    postarg_t a = {&r, 1};
    assert_int_equal(httpx__loop_post(loop, post_fn, &a), HTTPX_E_UNSUPPORTED);
    assert_int_equal(httpx_loop_run(loop), HTTPX_E_UNSUPPORTED);
    assert_int_equal(httpx_loop_run_once(loop, 0), HTTPX_E_UNSUPPORTED);
    assert_int_equal(httpx_loop_free(loop), 0);
}

/* ---- a custom loop: the epoll ops wrapped by counting ops ------------------ */

typedef struct wrap {
    const httpx_loop_ops_t *inner;
    void *inner_user;
    int watch, timer, wake, run_once, release;
} wrap_t;

static int w_watch(void *u, int fd, int ev, void *tok, void **slot)
{
    wrap_t *w = u;
    w->watch++;
    return w->inner->watch(w->inner_user, fd, ev, tok, slot);
}
static int w_timer(void *u, int64_t ms)
{
    wrap_t *w = u;
    w->timer++;
    return w->inner->timer(w->inner_user, ms);
}
static void w_wake(void *u)
{
    wrap_t *w = u;
    w->wake++;
    w->inner->wake(w->inner_user);
}
static int w_run_once(void *u, int64_t ms)
{
    wrap_t *w = u;
    w->run_once++;
    return w->inner->run_once(w->inner_user, ms);
}
static void w_release(void *u)
{
    wrap_t *w = u;
    w->release++;
    w->inner->release(w->inner_user);
}

static void test_custom_ops_loop(void **state)
{
    (void)state;
    wrap_t w = {0};
    assert_int_equal(httpx__epoll_backend_new(&w.inner_user, &w.inner, NULL), 0);
    /* watch and timer are mandatory. */
    httpx_loop_ops_t bad = {.struct_size = sizeof bad, .watch = w_watch};
    assert_null(httpx_loop_new_custom(&bad, &w, NULL));
    httpx_loop_ops_t ops = {.struct_size = sizeof ops, .watch = w_watch, .timer = w_timer,
                            .wake = w_wake, .run_once = w_run_once, .release = w_release};
    httpx_loop_t *loop = httpx_loop_new_custom(&ops, &w, NULL);
    assert_non_null(loop);
    httpx__epoll_backend_attach(w.inner_user, loop);

    int sv[2];
    assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, sv), 0);
    ioctx_t ic = {0};
    ic.free_self = true;
    httpx_io_t *io = httpx_io_new(loop, sv[0], io_cb, &ic);
    assert_int_equal(httpx_io_set(io, HTTPX_IO_READ), 0);
    rec_t rec = {.n = 0};
    tctx_t tc = {&rec, 1, NULL, NULL, 0};
    httpx_timer_t t;
    httpx__timer_init(&t, loop, rec_cb, &tc);
    assert_int_equal(httpx_timer_start(&t, 10), 0);
    assert_int_equal(write(sv[1], "z", 1), 1);
    postrec_t pr = {.n = 0};
    postarg_t pa = {&pr, 9};
    assert_int_equal(httpx__loop_post(loop, post_fn, &pa), 0);
    assert_int_equal(httpx_loop_run(loop), 0);
    assert_int_equal(ic.calls, 1);
    assert_int_equal(rec.n, 1);
    assert_int_equal(pr.n, 1);
    assert_true(w.watch >= 2); /* set, then forget */
    assert_true(w.timer >= 1);
    assert_true(w.wake >= 1);
    assert_true(w.run_once >= 1);
    httpx__timer_release(&t);
    close(sv[0]);
    close(sv[1]);
    assert_int_equal(httpx_loop_free(loop), 0);
    assert_int_equal(w.release, 1);
}

/* ---- allocation failure: each allocation fails in turn -------------------- */

typedef struct failer {
    int countdown; /* allocations left before failing; -1: never fail */
    int allocs;
} failer_t;

static void *f_malloc(void *u, size_t n)
{
    failer_t *f = u;
    if (f->countdown == 0)
        return NULL;
    if (f->countdown > 0)
        f->countdown--;
    f->allocs++;
    return malloc(n);
}
static void *f_realloc(void *u, void *p, size_t n)
{
    failer_t *f = u;
    if (f->countdown == 0)
        return NULL;
    if (f->countdown > 0)
        f->countdown--;
    f->allocs++;
    return realloc(p, n);
}
static void f_free(void *u, void *p)
{
    (void)u;
    free(p);
}

static void noop_post(void *arg)
{
    (void)arg;
}

static void test_alloc_failures(void **state)
{
    (void)state;
    bool completed = false;
    for (int k = 0; k < 64 && !completed; k++) {
        failer_t f = {k, 0};
        httpx_allocator_t a = {f_malloc, f_realloc, f_free, &f};
        httpx_loop_t *loop = httpx_loop_new(HTTPX_LOOP_OPTS(.allocator = &a));
        if (!loop)
            continue;
        httpx_timer_t *t[40] = {0};
        bool ok = true;
        for (int i = 0; i < 40 && ok; i++) {
            t[i] = httpx_timer_new(loop, noop_timer_cb, NULL);
            if (!t[i] || httpx_timer_start(t[i], (uint64_t)i) != 0)
                ok = false;
        }
        ok = ok && httpx__loop_post(loop, noop_post, NULL) == 0;
        for (int i = 0; i < 40; i++)
            httpx_timer_free(t[i]);
        assert_int_equal(httpx_loop_free(loop), 0);
        completed = ok;
    }
    assert_true(completed);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_timer_order),
        cmocka_unit_test(test_timer_fifo_ties),
        cmocka_unit_test(test_timer_rearm_only_on_change),
        cmocka_unit_test(test_timer_heap_random),
        cmocka_unit_test(test_timer_stop_free_in_callbacks),
        cmocka_unit_test(test_io_read_write),
        cmocka_unit_test(test_io_free_in_same_batch),
        cmocka_unit_test(test_io_hangup),
        cmocka_unit_test(test_run_idle_and_run_once_timeout),
        cmocka_unit_test(test_run_once_runs_timers),
        cmocka_unit_test(test_stop),
        cmocka_unit_test(test_run_inside_callback),
        cmocka_unit_test(test_free_refused_while_refd),
        cmocka_unit_test(test_free_with_leftovers),
        cmocka_unit_test(test_post_fifo),
        cmocka_unit_test(test_wake_from_thread),
        cmocka_unit_test(test_post_unsupported_without_wake),
        cmocka_unit_test(test_custom_ops_loop),
        cmocka_unit_test(test_alloc_failures),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
