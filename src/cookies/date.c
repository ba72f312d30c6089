/* cookies/date.c — the cookie-date algorithm of RFC 6265 §5.1.1.
 *
 * The input is split into tokens at delimiters; each token is tried, in order, as a
 * time (h:m:s), a day of month, a month name and a year, and each of the four is
 * taken from the first token that fits. Whatever else appears (weekday names, "GMT",
 * "+0000") is ignored, which is how Expires values in RFC 1123, RFC 850 and asctime
 * form, and their many variants, all parse. One pass, no allocation.
 */
#include <string.h>
#include <strings.h>
#include "cookies/jar.h"

/* delimiter = %x09 / %x20-2F / %x3B-40 / %x5B-60 / %x7B-7E */
static bool date_delim(unsigned char c)
{
    return c == 0x09 || (c >= 0x20 && c <= 0x2F) || (c >= 0x3B && c <= 0x40) ||
           (c >= 0x5B && c <= 0x60) || (c >= 0x7B && c <= 0x7E);
}

static bool date_digit(unsigned char c)
{
    return c >= '0' && c <= '9';
}

/* Read min..max digits at t[*i]; the value in *v. */
static bool date_digits(const char *t, size_t n, size_t *i, int min, int max, int *v)
{
    int k = 0, x = 0;
    while (*i < n && k < max && date_digit((unsigned char)t[*i])) {
        x = x * 10 + (t[*i] - '0');
        (*i)++;
        k++;
    }
    if (k < min)
        return false;
    *v = x;
    return true;
}

/* After the digits: the end of the token, or a non-digit (then anything). */
static bool date_tail_ok(const char *t, size_t n, size_t i)
{
    return i == n || !date_digit((unsigned char)t[i]);
}

/* time = hms-time [ non-digit *OCTET ]; hms-time = 1*2DIGIT ":" 1*2DIGIT ":" 1*2DIGIT */
static bool date_time(const char *t, size_t n, int *h, int *m, int *s)
{
    size_t i = 0;
    if (!date_digits(t, n, &i, 1, 2, h) || i >= n || t[i++] != ':')
        return false;
    if (!date_digits(t, n, &i, 1, 2, m) || i >= n || t[i++] != ':')
        return false;
    if (!date_digits(t, n, &i, 1, 2, s))
        return false;
    return date_tail_ok(t, n, i);
}

static bool date_num(const char *t, size_t n, int min, int max, int *v)
{
    size_t i = 0;
    return date_digits(t, n, &i, min, max, v) && date_tail_ok(t, n, i);
}

static int date_month(const char *t, size_t n)
{
    static const char names[] = "janfebmaraprmayjunjulaugsepoctnovdec";
    if (n < 3)
        return 0;
    for (int m = 0; m < 12; m++)
        if (strncasecmp(t, names + 3 * m, 3) == 0)
            return m + 1;
    return 0;
}

/* Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm). */
static int64_t date_days(int64_t y, int m, int d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t yoe = y - era * 400;
    int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

static int date_month_days(int y, int m)
{
    static const unsigned char dim[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (m == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0))
        return 29;
    return dim[m - 1];
}

int httpx__cookie_parse_date(const char *s, size_t len, int64_t *out)
{
    bool have_time = false, have_day = false, have_month = false, have_year = false;
    int h = 0, mi = 0, se = 0, day = 0, month = 0, year = 0;
    size_t i = 0;
    while (i < len) {
        while (i < len && date_delim((unsigned char)s[i]))
            i++;
        size_t start = i;
        while (i < len && !date_delim((unsigned char)s[i]))
            i++;
        if (i == start)
            break;
        const char *t = s + start;
        size_t n = i - start;
        int a, b, c;
        if (!have_time && date_time(t, n, &a, &b, &c)) {
            have_time = true;
            h = a, mi = b, se = c;
        } else if (!have_day && date_num(t, n, 1, 2, &a)) {
            have_day = true;
            day = a;
        } else if (!have_month && (a = date_month(t, n)) != 0) {
            have_month = true;
            month = a;
        } else if (!have_year && date_num(t, n, 2, 4, &a)) {
            have_year = true;
            year = a;
        }
    }
    if (!have_time || !have_day || !have_month || !have_year)
        return -1;
    if (year >= 70 && year <= 99)
        year += 1900;
    else if (year <= 69)
        year += 2000;
    if (year < 1601 || day < 1 || day > date_month_days(year, month) || h > 23 || mi > 59 || se > 59)
        return -1;
    *out = date_days(year, month, day) * 86400 + h * 3600 + mi * 60 + se;
    return 0;
}
