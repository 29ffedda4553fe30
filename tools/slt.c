/*
 * tools/slt.c — strata-slt: runs sqllogictest files (the SQLite / DuckDB / RisingWave format)
 * against strata through its C API (strata.h).
 *
 *   strata-slt [--verbose] [--stop-on-fail] FILE.slt|DIR ...
 *
 * Each file runs on a fresh database in a temporary work directory (mkdtemp under
 * $STRATA_TEST_TMP, else /tmp): WORK/db is the database; WORK is removed afterwards. A directory
 * argument runs every *.slt in it, in name order. Records (separated by blank lines):
 *
 *   statement ok                  SQL must succeed
 *   statement error [regex]       SQL must fail; the message must match the POSIX extended regex
 *                                 if given; a DuckDB-style "----" + text after the SQL must be a
 *                                 substring of the message. "query error [regex]" is the same.
 *   query <types> [nosort|rowsort|valuesort] [label]
 *                                 SQL, "----", expected results. One letter per column: I
 *                                 (integer: booleans 0/1, reals truncated toward zero), R (%.3f),
 *                                 T (text; "(empty)" for '', characters outside 0x20..0x7e as @).
 *                                 NULL is "NULL". Expected values are one row per line (separated
 *                                 by spaces or tabs, runs of whitespace are one separator) or
 *                                 one value per line (SQLite's own suite). A single line
 *                                 "N values hashing to <md5>" compares the MD5 of every value
 *                                 followed by "\n" (sqllogictest's hash). rowsort/valuesort sort
 *                                 both sides.
 *   hash-threshold N              accepted; results are hashed only when the file says so
 *   skipif <engine> / onlyif <engine>   the next record runs only if / unless the engine is strata
 *   halt                          stops the file
 *   restart                       closes and reopens the database
 *   system ok                     runs the next lines with /bin/sh; cwd = WORK, and the
 *                                 environment has STRATA_SLT_DIR=WORK and STRATA_SLT_DB=WORK/db
 *   control sortmode <mode>       default sort mode for later queries
 *   require <x>                   skips the rest of the file (not counted)
 *
 * In SQL and commands, __TEST_DIR__ and ${STRATA_SLT_DIR} are replaced by WORK.
 *
 * Each mismatch is reported with file:line, the SQL, expected and actual. The last line is
 * "N passed, N failed" over every file; the exit status is 1 if any record failed.
 */
#include <dirent.h>
#include <errno.h>
#include <regex.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "md5.h"
#include "strata.h"

static int opt_verbose, opt_stop;
static long n_passed, n_failed;

/* ------------------------------------------------------------------ small helpers */

static void *xmalloc(size_t n)
{
    void *p = malloc(n ? n : 1);
    if (!p) {
        fprintf(stderr, "strata-slt: out of memory\n");
        exit(2);
    }
    return p;
}

static char *xstrdup(const char *s)
{
    size_t n = strlen(s) + 1;
    return memcpy(xmalloc(n), s, n);
}

typedef struct strvec {
    char **v;
    size_t n, cap;
} strvec;

static void sv_push(strvec *s, char *x)
{
    if (s->n == s->cap) {
        s->cap = s->cap ? s->cap * 2 : 16;
        s->v = realloc(s->v, s->cap * sizeof *s->v);
        if (!s->v) {
            fprintf(stderr, "strata-slt: out of memory\n");
            exit(2);
        }
    }
    s->v[s->n++] = x;
}

static void sv_free(strvec *s)
{
    for (size_t i = 0; i < s->n; i++) free(s->v[i]);
    free(s->v);
    s->v = NULL;
    s->n = s->cap = 0;
}

/* A growable string. */
typedef struct buf {
    char *p;
    size_t n, cap;
} buf;

static void buf_add(buf *b, const char *s, size_t n)
{
    if (b->n + n + 1 > b->cap) {
        b->cap = (b->n + n + 1) * 2;
        b->p = realloc(b->p, b->cap);
        if (!b->p) {
            fprintf(stderr, "strata-slt: out of memory\n");
            exit(2);
        }
    }
    memcpy(b->p + b->n, s, n);
    b->n += n;
    b->p[b->n] = 0;
}

static void buf_str(buf *b, const char *s)
{
    buf_add(b, s, strlen(s));
}

/* Replaces __TEST_DIR__ and ${STRATA_SLT_DIR} by dir; the caller frees the result. */
static char *substitute(const char *s, const char *dir)
{
    buf b = {0};
    buf_add(&b, "", 0);
    while (*s) {
        if (!strncmp(s, "__TEST_DIR__", 12)) {
            buf_str(&b, dir);
            s += 12;
        } else if (!strncmp(s, "${STRATA_SLT_DIR}", 17)) {
            buf_str(&b, dir);
            s += 17;
        } else {
            buf_add(&b, s, 1);
            s++;
        }
    }
    return b.p;
}

static void rmrf(const char *path)
{
    DIR *d = opendir(path);
    if (!d) {
        unlink(path);
        return;
    }
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..")) continue;
        size_t n = strlen(path) + strlen(e->d_name) + 2;
        char *p = xmalloc(n);
        snprintf(p, n, "%s/%s", path, e->d_name);
        struct stat st;
        if (lstat(p, &st) == 0 && S_ISDIR(st.st_mode))
            rmrf(p);
        else
            unlink(p);
        free(p);
    }
    closedir(d);
    rmdir(path);
}

/* Collapses runs of spaces/tabs to one space and trims; in place. */
static void normalize_ws(char *s)
{
    char *w = s;
    int space = 1; /* drop leading */
    for (char *r = s; *r; r++) {
        if (*r == ' ' || *r == '\t' || *r == '\r') {
            if (!space) *w++ = ' ';
            space = 1;
        } else {
            *w++ = *r;
            space = 0;
        }
    }
    if (w > s && w[-1] == ' ') w--;
    *w = 0;
}

/* ------------------------------------------------------------------ the database */

typedef struct slt_db {
    char work[4096];
    char dbdir[4200];
    strata_db *db;
    strata_conn *c;
} slt_db;

static int db_open(slt_db *d)
{
    if (strata_open(d->dbdir, NULL, &d->db) != STRATA_OK) {
        fprintf(stderr, "strata-slt: cannot open %s: %s\n", d->dbdir, strata_open_errmsg());
        d->db = NULL;
        return -1;
    }
    if (strata_connect(d->db, &d->c) != STRATA_OK) {
        fprintf(stderr, "strata-slt: cannot connect to %s\n", d->dbdir);
        strata_close(d->db);
        d->db = NULL;
        return -1;
    }
    return 0;
}

static void db_close(slt_db *d)
{
    if (d->c) strata_disconnect(d->c);
    if (d->db && strata_close(d->db) != STRATA_OK)
        fprintf(stderr, "strata-slt: close %s: %s\n", d->dbdir, strata_open_errmsg());
    d->c = NULL;
    d->db = NULL;
}

/* Renders the value of column col of the current row per the type letter. */
static char *render(strata_stmt *s, int col, char type)
{
    char tmp[64];
    if (strata_column_is_null(s, col)) return xstrdup("NULL");
    int t = strata_column_type(s, col);
    switch (type) {
    case 'I': {
        long long v;
        if (t == STRATA_TYPE_DOUBLE)
            v = (long long)strata_column_double(s, col); /* truncates toward zero */
        else if (t == STRATA_TYPE_TEXT || t == STRATA_TYPE_BLOB) {
            const char *x = strata_column_text(s, col);
            v = x ? strtoll(x, NULL, 10) : 0;
        } else
            v = (long long)strata_column_int64(s, col);
        snprintf(tmp, sizeof tmp, "%lld", v);
        return xstrdup(tmp);
    }
    case 'R': {
        double v;
        if (t == STRATA_TYPE_TEXT || t == STRATA_TYPE_BLOB) {
            const char *x = strata_column_text(s, col);
            v = x ? strtod(x, NULL) : 0;
        } else if (t == STRATA_TYPE_DOUBLE)
            v = strata_column_double(s, col);
        else
            v = (double)strata_column_int64(s, col);
        snprintf(tmp, sizeof tmp, "%.3f", v);
        if (!strcmp(tmp, "-0.000")) strcpy(tmp, "0.000");
        return xstrdup(tmp);
    }
    default: {
        const char *x = strata_column_text(s, col);
        if (!x || !*x) return xstrdup("(empty)");
        char *out = xstrdup(x);
        for (char *p = out; *p; p++)
            if ((unsigned char)*p < 0x20 || (unsigned char)*p > 0x7e) *p = '@';
        return out;
    }
    }
}

/* Runs every statement of sql; the rows of the last statement that has columns are appended to
 * values (rendered per types; a missing type letter renders as T). Returns STRATA_OK or the
 * error code (the message is strata_errmsg). *ncols gets the column count. */
static int run_sql(slt_db *d, const char *sql, const char *types, strvec *values, int *ncols)
{
    const char *tail = sql;
    *ncols = 0;
    while (tail && *tail) {
        strata_stmt *s = NULL;
        const char *next = NULL;
        int rc = strata_prepare(d->c, tail, &s, &next);
        if (rc != STRATA_OK) return rc;
        if (!s) break;
        int nc = strata_column_count(s);
        if (nc > 0) {
            sv_free(values);
            *ncols = nc;
        }
        while ((rc = strata_step(s)) == STRATA_ROW) {
            for (int c = 0; c < nc; c++) {
                char t = types && (int)strlen(types) > c ? types[c] : 'T';
                sv_push(values, render(s, c, t));
            }
        }
        strata_finalize(s);
        if (rc != STRATA_DONE) return rc;
        if (next == tail) break;
        tail = next;
    }
    return STRATA_OK;
}

/* ------------------------------------------------------------------ a test file */

typedef struct slt_file {
    const char *path;
    char **lines; /* without the newline */
    size_t nlines;
    char *text;
} slt_file;

static int load_file(slt_file *f, const char *path)
{
    FILE *fp = fopen(path, "rb");
    if (!fp) {
        fprintf(stderr, "strata-slt: %s: %s\n", path, strerror(errno));
        return -1;
    }
    buf b = {0};
    char chunk[65536];
    size_t n;
    buf_add(&b, "", 0);
    while ((n = fread(chunk, 1, sizeof chunk, fp)) > 0) buf_add(&b, chunk, n);
    fclose(fp);
    f->path = path;
    f->text = b.p;
    f->nlines = 0;
    for (size_t i = 0; i < b.n; i++) f->nlines += b.p[i] == '\n';
    f->lines = xmalloc((f->nlines + 1) * sizeof *f->lines);
    size_t k = 0;
    char *p = b.p;
    while (*p) {
        char *nl = strchr(p, '\n');
        f->lines[k++] = p;
        if (!nl) break;
        *nl = 0;
        if (nl > p && nl[-1] == '\r') nl[-1] = 0;
        p = nl + 1;
    }
    f->nlines = k;
    return 0;
}

static int blank(const char *s)
{
    for (; *s; s++)
        if (*s != ' ' && *s != '\t') return 0;
    return 1;
}

enum { SORT_NONE, SORT_ROW, SORT_VALUE };

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static void sort_strs(strvec *s)
{
    if (s->n > 1) qsort(s->v, s->n, sizeof *s->v, cmp_str);
}

/* Rows as strings of their values joined by single spaces. */
static void join_rows(const strvec *values, int ncols, strvec *rows)
{
    for (size_t i = 0; ncols > 0 && i + (size_t)ncols <= values->n; i += (size_t)ncols) {
        buf b = {0};
        buf_add(&b, "", 0);
        for (int c = 0; c < ncols; c++) {
            if (c) buf_add(&b, " ", 1);
            buf_str(&b, values->v[i + (size_t)c]);
        }
        normalize_ws(b.p);
        sv_push(rows, b.p);
    }
}

static void fail_header(const slt_file *f, size_t line, const char *what, const char *sql)
{
    n_failed++;
    printf("%s:%zu: %s\n", f->path, line, what);
    printf("  SQL: %s\n", sql);
}

static void print_lines(const char *label, char **v, size_t n)
{
    printf("  %s (%zu line%s):\n", label, n, n == 1 ? "" : "s");
    for (size_t i = 0; i < n; i++) printf("    %s\n", v[i]);
}

/* Compares a query's actual values to its expected lines; returns 1 if they match, else reports
 * the mismatch. */
static int check_query(const slt_file *f, size_t line, const char *sql, const char *types, int sort,
                       strvec *values, int ncols, char **exp, size_t nexp)
{
    int ok = 1;
    size_t nrows = ncols > 0 ? values->n / (size_t)ncols : 0;
    strvec act = {0}, want = {0};
    char hash_line[128];

    if ((int)strlen(types) != ncols && ncols > 0) {
        char what[400];
        snprintf(what, sizeof what, "query returned %d columns, the test expects %zu (%s)", ncols,
                 strlen(types), types);
        fail_header(f, line, what, sql);
        return 0;
    }
    /* "N values hashing to X" */
    char *hend;
    if (nexp == 1 && strtoul(exp[0], &hend, 10) > 0 && !strncmp(hend, " values hashing to ", 19)) {
        strvec vals = {0};
        if (sort == SORT_VALUE) {
            for (size_t i = 0; i < values->n; i++) sv_push(&vals, xstrdup(values->v[i]));
            sort_strs(&vals);
        } else if (sort == SORT_ROW) {
            /* sort rows by their values column by column: join with \001 to keep order */
            strvec keyed = {0};
            for (size_t r = 0; r < nrows; r++) {
                buf b = {0};
                buf_add(&b, "", 0);
                for (int c = 0; c < ncols; c++) {
                    if (c) buf_add(&b, "\001", 1);
                    buf_str(&b, values->v[r * (size_t)ncols + (size_t)c]);
                }
                sv_push(&keyed, b.p);
            }
            sort_strs(&keyed);
            for (size_t r = 0; r < keyed.n; r++) {
                char *p = keyed.v[r], *q;
                while ((q = strchr(p, '\001')) != NULL) {
                    *q = 0;
                    sv_push(&vals, xstrdup(p));
                    p = q + 1;
                }
                sv_push(&vals, xstrdup(p));
            }
            sv_free(&keyed);
        } else {
            for (size_t i = 0; i < values->n; i++) sv_push(&vals, xstrdup(values->v[i]));
        }
        md5_ctx m;
        char hex[33];
        md5_init(&m);
        for (size_t i = 0; i < vals.n; i++) {
            md5_update(&m, vals.v[i], strlen(vals.v[i]));
            md5_update(&m, "\n", 1);
        }
        md5_final_hex(&m, hex);
        snprintf(hash_line, sizeof hash_line, "%zu values hashing to %s", vals.n, hex);
        sv_free(&vals);
        char *e = xstrdup(exp[0]);
        normalize_ws(e);
        ok = !strcmp(e, hash_line);
        free(e);
        if (!ok) {
            fail_header(f, line, "query result mismatch", sql);
            char *hl = hash_line;
            print_lines("expected", exp, 1);
            print_lines("actual", &hl, 1);
        }
        return ok;
    }

    /* one value per line (SQLite's suite) or one row per line */
    int value_mode = ncols > 1 && nexp == values->n && nexp != nrows;
    if (value_mode || sort == SORT_VALUE) {
        for (size_t i = 0; i < values->n; i++) {
            char *v = xstrdup(values->v[i]);
            normalize_ws(v);
            sv_push(&act, v);
        }
        for (size_t i = 0; i < nexp; i++) {
            if (value_mode) {
                char *v = xstrdup(exp[i]);
                normalize_ws(v);
                sv_push(&want, v);
            } else {
                /* rows of values: split on whitespace */
                char *copy = xstrdup(exp[i]);
                for (char *tok = strtok(copy, " \t"); tok; tok = strtok(NULL, " \t"))
                    sv_push(&want, xstrdup(tok));
                free(copy);
            }
        }
        if (sort == SORT_VALUE) {
            sort_strs(&act);
            sort_strs(&want);
        } else if (sort == SORT_ROW) {
            /* group values into rows (\001-joined), sort, and compare the rows */
            strvec ra = {0}, rw = {0};
            for (int side = 0; side < 2; side++) {
                strvec *src = side ? &want : &act, *dst = side ? &rw : &ra;
                for (size_t i = 0; i + (size_t)ncols <= src->n; i += (size_t)ncols) {
                    buf b = {0};
                    buf_add(&b, "", 0);
                    for (int c = 0; c < ncols; c++) {
                        if (c) buf_add(&b, "\001", 1);
                        buf_str(&b, src->v[i + (size_t)c]);
                    }
                    sv_push(dst, b.p);
                }
                sort_strs(dst);
            }
            if (ra.n * (size_t)ncols == act.n && rw.n * (size_t)ncols == want.n) {
                sv_free(&act);
                sv_free(&want);
                for (size_t i = 0; i < ra.n; i++)
                    for (char *p = ra.v[i], *q; p; p = q) {
                        q = strchr(p, '\001');
                        if (q) *q++ = 0;
                        sv_push(&act, xstrdup(p));
                    }
                for (size_t i = 0; i < rw.n; i++)
                    for (char *p = rw.v[i], *q; p; p = q) {
                        q = strchr(p, '\001');
                        if (q) *q++ = 0;
                        sv_push(&want, xstrdup(p));
                    }
            }
            sv_free(&ra);
            sv_free(&rw);
        }
    } else {
        join_rows(values, ncols, &act);
        for (size_t i = 0; i < nexp; i++) {
            char *v = xstrdup(exp[i]);
            normalize_ws(v);
            sv_push(&want, v);
        }
        if (sort == SORT_ROW) {
            sort_strs(&act);
            sort_strs(&want);
        }
    }
    ok = act.n == want.n;
    for (size_t i = 0; ok && i < act.n; i++) ok = !strcmp(act.v[i], want.v[i]);
    if (!ok) {
        fail_header(f, line, "query result mismatch", sql);
        print_lines("expected", want.v, want.n);
        print_lines("actual", act.v, act.n);
    }
    sv_free(&act);
    sv_free(&want);
    return ok;
}

static int run_system(slt_db *d, const char *cmd)
{
    pid_t pid = fork();
    if (pid < 0) return -1;
    if (pid == 0) {
        if (chdir(d->work) != 0) _exit(126);
        setenv("STRATA_SLT_DIR", d->work, 1);
        setenv("STRATA_SLT_DB", d->dbdir, 1);
        execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
        _exit(127);
    }
    int status;
    while (waitpid(pid, &status, 0) < 0)
        if (errno != EINTR) return -1;
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128;
}

/* Joins lines [from, to) with "\n"; the caller frees. */
static char *join_lines(const slt_file *f, size_t from, size_t to)
{
    buf b = {0};
    buf_add(&b, "", 0);
    for (size_t i = from; i < to; i++) {
        if (i > from) buf_add(&b, "\n", 1);
        buf_str(&b, f->lines[i]);
    }
    return b.p;
}

/* Runs one file; returns -1 if --stop-on-fail hit a failure. */
static int run_file(const char *path)
{
    slt_file f = {0};
    if (load_file(&f, path) != 0) {
        n_failed++;
        return opt_stop ? -1 : 0;
    }
    slt_db d = {0};
    const char *base = getenv("STRATA_TEST_TMP");
    if (!base || !*base) base = "/tmp";
    mkdir(base, 0755);
    snprintf(d.work, sizeof d.work, "%s/slt.XXXXXX", base);
    if (!mkdtemp(d.work)) {
        fprintf(stderr, "strata-slt: mkdtemp %s: %s\n", d.work, strerror(errno));
        n_failed++;
        free(f.lines);
        free(f.text);
        return opt_stop ? -1 : 0;
    }
    snprintf(d.dbdir, sizeof d.dbdir, "%s/db", d.work);
    int stop = 0;
    long failed_before = n_failed;
    if (db_open(&d) != 0) {
        printf("%s:1: cannot open the database: %s\n", path, strata_open_errmsg());
        n_failed++;
        stop = 1;
    }
    int default_sort = SORT_NONE;
    size_t i = 0;
    int skip_next = 0;
    while (!stop && i < f.nlines) {
        char *ln = f.lines[i];
        if (blank(ln) || ln[0] == '#') {
            i++;
            continue;
        }
        size_t line = i + 1;
        char word[64] = "", arg1[256] = "", arg2[64] = "";
        sscanf(ln, "%63s %255s %63s", word, arg1, arg2);
        /* conditions */
        if (!strcmp(word, "skipif") || !strcmp(word, "onlyif")) {
            int is_us = !strcmp(arg1, "strata");
            if (!strcmp(word, "skipif") ? is_us : !is_us) skip_next = 1;
            i++;
            continue;
        }
        /* the record's extent: up to the next blank line */
        size_t end = i + 1;
        while (end < f.nlines && !blank(f.lines[end])) end++;
        int skip = skip_next;
        skip_next = 0;
        if (skip) {
            i = end;
            continue;
        }
        if (opt_verbose) printf("%s:%zu: %s\n", path, line, ln);
        if (!strcmp(word, "halt")) break;
        if (!strcmp(word, "hash-threshold") || !strcmp(word, "mode") || !strcmp(word, "sleep") ||
            !strcmp(word, "load")) {
            i = end;
            continue;
        }
        if (!strcmp(word, "require")) break;
        if (!strcmp(word, "control")) {
            if (!strcmp(arg1, "sortmode"))
                default_sort = !strcmp(arg2, "rowsort")     ? SORT_ROW
                               : !strcmp(arg2, "valuesort") ? SORT_VALUE
                                                            : SORT_NONE;
            i = end;
            continue;
        }
        if (!strcmp(word, "restart")) {
            db_close(&d);
            if (db_open(&d) != 0) {
                fail_header(&f, line, "restart: cannot reopen the database", "");
                stop = 1;
            } else {
                n_passed++;
            }
            i = end;
            continue;
        }
        if (!strcmp(word, "system")) {
            char *raw = join_lines(&f, i + 1, end), *cmd = substitute(raw, d.work);
            int st = run_system(&d, cmd);
            if (st != 0) {
                char what[96];
                snprintf(what, sizeof what, "system command exited with status %d", st);
                fail_header(&f, line, what, cmd);
            } else {
                n_passed++;
            }
            free(raw);
            free(cmd);
            i = end;
            if (st != 0 && opt_stop) stop = 1;
            continue;
        }
        int is_stmt = !strcmp(word, "statement");
        int is_query = !strcmp(word, "query");
        if (!is_stmt && !is_query) {
            char what[128];
            snprintf(what, sizeof what, "unknown record type \"%s\"", word);
            fail_header(&f, line, what, "");
            i = end;
            if (opt_stop) stop = 1;
            continue;
        }
        /* SQL up to "----" or the end of the record */
        size_t sep = i + 1;
        while (sep < end && strcmp(f.lines[sep], "----") != 0) sep++;
        char *raw = join_lines(&f, i + 1, sep), *sql = substitute(raw, d.work);
        free(raw);
        char **exp = sep < end ? &f.lines[sep + 1] : NULL;
        size_t nexp = sep < end ? end - sep - 1 : 0;
        int want_error = !strcmp(arg1, "error");
        strvec values = {0};
        int ncols = 0;
        const char *types = is_query && !want_error ? arg1 : NULL;
        int rc = run_sql(&d, sql, types, &values, &ncols);
        int ok = 1;
        if (want_error) {
            if (rc == STRATA_OK) {
                fail_header(&f, line, "statement succeeded, an error was expected", sql);
                ok = 0;
            } else {
                const char *msg = strata_errmsg(d.c);
                /* the regex: the rest of the header line after "error" */
                const char *re = strstr(ln, "error") + 5;
                while (*re == ' ' || *re == '\t') re++;
                if (*re) {
                    regex_t rx;
                    int rrc = regcomp(&rx, re, REG_EXTENDED | REG_NOSUB);
                    if (rrc != 0) {
                        fail_header(&f, line, "bad regex in the test", sql);
                        ok = 0;
                    } else {
                        if (regexec(&rx, msg, 0, NULL, 0) != 0) {
                            fail_header(&f, line, "error message does not match", sql);
                            printf("  expected (regex): %s\n  actual: %s\n", re, msg);
                            ok = 0;
                        }
                        regfree(&rx);
                    }
                }
                if (ok && nexp > 0) {
                    char *want = join_lines(&f, sep + 1, end);
                    if (!strstr(msg, want)) {
                        fail_header(&f, line, "error message does not match", sql);
                        printf("  expected (substring): %s\n  actual: %s\n", want, msg);
                        ok = 0;
                    }
                    free(want);
                }
            }
        } else if (rc != STRATA_OK) {
            char what[96];
            snprintf(what, sizeof what, "%s failed with %s", is_stmt ? "statement" : "query",
                     strata_status_name(rc));
            fail_header(&f, line, what, sql);
            printf("  error: %s\n", strata_errmsg(d.c));
            ok = 0;
        } else if (is_query) {
            int sort = default_sort;
            if (!strcmp(arg2, "rowsort")) sort = SORT_ROW;
            if (!strcmp(arg2, "valuesort")) sort = SORT_VALUE;
            if (!strcmp(arg2, "nosort")) sort = SORT_NONE;
            ok = check_query(&f, line, sql, types, sort, &values, ncols, exp, nexp);
        }
        if (ok) n_passed++;
        sv_free(&values);
        free(sql);
        i = end;
        if (!ok && opt_stop) stop = 1;
    }
    db_close(&d);
    rmrf(d.work);
    free(f.lines);
    free(f.text);
    if (opt_verbose) printf("%s: %ld failed\n", path, n_failed - failed_before);
    return opt_stop && n_failed > failed_before ? -1 : 0;
}

static int ends_with(const char *s, const char *suf)
{
    size_t n = strlen(s), m = strlen(suf);
    return n >= m && !strcmp(s + n - m, suf);
}

static int run_path(const char *path)
{
    struct stat st;
    if (stat(path, &st) != 0) {
        fprintf(stderr, "strata-slt: %s: %s\n", path, strerror(errno));
        n_failed++;
        return opt_stop ? -1 : 0;
    }
    if (!S_ISDIR(st.st_mode)) return run_file(path);
    struct dirent **names;
    int n = scandir(path, &names, NULL, alphasort);
    if (n < 0) {
        fprintf(stderr, "strata-slt: %s: %s\n", path, strerror(errno));
        n_failed++;
        return opt_stop ? -1 : 0;
    }
    int rc = 0;
    for (int i = 0; i < n; i++) {
        if (rc == 0 && ends_with(names[i]->d_name, ".slt")) {
            size_t len = strlen(path) + strlen(names[i]->d_name) + 2;
            char *p = xmalloc(len);
            snprintf(p, len, "%s/%s", path, names[i]->d_name);
            rc = run_file(p);
            free(p);
        }
        free(names[i]);
    }
    free(names);
    return rc;
}

static void usage(FILE *f)
{
    fprintf(f, "usage: strata-slt [--verbose] [--stop-on-fail] FILE.slt|DIR ...\n"
               "Runs sqllogictest files on fresh strata databases (under $STRATA_TEST_TMP or "
               "/tmp).\n"
               "system ok commands run in the file's work dir ($STRATA_SLT_DIR; the database is "
               "$STRATA_SLT_DB);\n"
               "__TEST_DIR__ and ${STRATA_SLT_DIR} in SQL are replaced by that directory.\n");
}

int main(int argc, char **argv)
{
    int nfiles = 0;
    setvbuf(stdout, NULL, _IOLBF, 0);
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--verbose") || !strcmp(argv[i], "-v"))
            opt_verbose = 1;
        else if (!strcmp(argv[i], "--stop-on-fail") || !strcmp(argv[i], "-x"))
            opt_stop = 1;
        else if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            usage(stdout);
            return 0;
        } else if (argv[i][0] == '-' && argv[i][1]) {
            fprintf(stderr, "strata-slt: unknown option %s\n", argv[i]);
            usage(stderr);
            return 2;
        }
    }
    for (int i = 1; i < argc; i++) {
        if (argv[i][0] == '-' && argv[i][1]) continue;
        nfiles++;
        if (run_path(argv[i]) != 0) break;
    }
    if (nfiles == 0) {
        usage(stderr);
        return 2;
    }
    printf("%ld passed, %ld failed\n", n_passed, n_failed);
    return n_failed ? 1 : 0;
}
