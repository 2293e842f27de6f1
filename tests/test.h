/*
 * test.h — the whole test framework: a dozen lines, as in llm.c's
 * test_gpt2.c. Each test is a function; RUN() calls it and prints
 * "PASS name" or "FAIL name" with the failed checks above it. tests/run.sh
 * counts those lines over every test binary and CLI script.
 */
#ifndef RUSTGPT_TEST_H
#define RUSTGPT_TEST_H

#include <math.h>
#include <stdio.h>

static int test_failed_checks, tests_failed;

#define CHECK(cond) do { \
    if (!(cond)) { printf("    %s:%d: check failed: %s\n", __FILE__, __LINE__, #cond); \
                   test_failed_checks++; } } while (0)

/* |a - b| <= tol * max(1, |a|, |b|) */
#define CHECK_NEAR(a, b, tol) do { \
    double a_ = (a), b_ = (b), s_ = fmax(1.0, fmax(fabs(a_), fabs(b_))); \
    if (!(fabs(a_ - b_) <= (tol) * s_)) { \
        printf("    %s:%d: %s = %.9g, %s = %.9g, differ by more than %g\n", \
               __FILE__, __LINE__, #a, a_, #b, b_, (double)(tol)); \
        test_failed_checks++; } } while (0)

#define RUN(test) do { test_failed_checks = 0; test(); \
    printf("%s %s\n", test_failed_checks ? "FAIL" : "PASS", #test); fflush(stdout); \
    if (test_failed_checks) tests_failed++; } while (0)

#define TESTS_DONE() return tests_failed ? 1 : 0

#endif
