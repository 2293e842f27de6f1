/*
 * cli.c — option parsing shared by every command (see cli.h).
 */
#include "cli/cli.h"
#include "core/util.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int usage_error(const char *fmt, ...)
{
    char message[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(message, sizeof message, fmt, ap);
    va_end(ap);
    fail("%s", message);
    return EXIT_USAGE;
}

int unknown_argument(const char *command, const char *arg)
{
    if (is_option(arg)) return usage_error("%s: unknown option '%s'", command, arg);
    return usage_error("%s: unexpected argument '%s'", command, arg);
}

int is_option(const char *arg) { return arg[0] == '-' && arg[1] != '\0'; }

const char *option_value(int argc, char **argv, int *i)
{
    if (*i + 1 >= argc) {
        usage_error("%s needs a value", argv[*i]);
        return NULL;
    }
    return argv[++*i];
}

/* strtol and friends skip leading whitespace, and strtoull accepts a minus
 * sign (" -1" would become 18446744073709551615): a number must start with a
 * digit, or a sign where negatives make sense. */
static int starts_like_a_number(const char *value, int allow_minus)
{
    char c = value[0];
    if (c == '+' || (allow_minus && c == '-')) c = value[1];
    return (c >= '0' && c <= '9') || c == '.';
}

int parse_int(const char *name, const char *value, long min, long max, int *out)
{
    char *end;
    errno = 0;
    long v = strtol(value, &end, 10);
    if (!starts_like_a_number(value, 1) || errno || end == value || *end || v < min || v > max)
        return usage_error("%s expects a whole number from %ld to %ld, got '%s'", name, min, max, value);
    *out = (int)v;
    return 0;
}

int parse_u64(const char *name, const char *value, unsigned long long *out)
{
    char *end;
    errno = 0;
    unsigned long long v = strtoull(value, &end, 10);
    if (!starts_like_a_number(value, 0) || errno || end == value || *end)
        return usage_error("%s expects a non-negative whole number, got '%s'", name, value);
    *out = v;
    return 0;
}

int parse_float(const char *name, const char *value, double min, double max, float *out)
{
    char *end;
    errno = 0;
    double v = strtod(value, &end);
    if (!starts_like_a_number(value, 1) || errno || end == value || *end || !isfinite(v) ||
        v < min || v > max)
        return usage_error("%s expects a number from %g to %g, got '%s'", name, min, max, value);
    *out = (float)v;
    return 0;
}

int parse_sampling_option(int argc, char **argv, int *i, SamplingOptions *opt)
{
    const char *name = argv[*i];
    static const char *const known[] = { "--temperature", "--top-k", "--top-p", "--repeat-penalty",
                                         "--max-tokens", "--seed", "--beams" };
    int which = -1;
    for (int k = 0; k < 7; k++) if (strcmp(name, known[k]) == 0) which = k;
    if (which < 0) return 0;
    const char *value = option_value(argc, argv, i);
    if (!value) return -EXIT_USAGE;
    int rc = 0;
    unsigned long long seed;
    switch (which) {
    case 0: rc = parse_float(name, value, 0.0, 100.0, &opt->temperature); break;
    case 1: rc = parse_int(name, value, 0, 1 << 20, &opt->top_k); break;
    case 2: rc = parse_float(name, value, 0.0, 1.0, &opt->top_p); break;
    case 3: rc = parse_float(name, value, 0.01, 100.0, &opt->repeat_penalty); break;
    case 4: rc = parse_int(name, value, 1, 100000, &opt->max_tokens); break;
    case 5: rc = parse_u64(name, value, &seed); opt->seed = seed; break;
    case 6: rc = parse_int(name, value, 1, 64, &opt->beams); break;
    }
    return rc ? -EXIT_USAGE : 1;
}
