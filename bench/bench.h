/*
 * bench/bench.h — what bench.c (the KV workloads and the driver) and bench_sql.c (the SQL
 * workloads) share: timing, the PRNG, the result table.
 *
 * Single-threaded: strata-bench runs one workload on one engine at a time.
 */
#ifndef STRATA_BENCH_H
#define STRATA_BENCH_H

#include <stddef.h>
#include <stdint.h>

/* Seconds on the monotonic clock. */
double bench_now(void);

/* splitmix64: a fast deterministic PRNG (the same sequence for every engine). */
static inline uint64_t bench_rand(uint64_t *state)
{
    uint64_t z = (*state += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

/* Records one measurement: ops operations of workload on engine took secs seconds. */
void bench_record(const char *workload, const char *engine, double ops, double secs);

/* Fails the run: prints "strata-bench: <engine>: <what>" and exits 1. */
void bench_die(const char *engine, const char *fmt, ...)
    __attribute__((format(printf, 2, 3), noreturn));

/* Removes a directory tree (rm -rf); used for fresh databases. */
void bench_rmrf(const char *path);

typedef struct bench_config {
    uint64_t num;   /* keys / rows */
    uint64_t reads; /* point reads, seeks */
    const char *dir;
    uint64_t seed;
} bench_config;

/* ---- SQL workloads (bench_sql.c) ---- */

/* 1 if name is a SQL workload. */
int bench_sql_is_workload(const char *name);
/* 1 if engine is a SQL engine compiled in ("sqlite"; "strata" when the SQL API is built). */
int bench_sql_has_engine(const char *engine);
/* Runs the SQL workloads of the comma-separated list on one engine, recording each. */
void bench_sql_run(const bench_config *cfg, const char *engine, char **workloads, int nworkloads);
/* One line per SQL workload for --help. */
void bench_sql_help(void);

#endif
