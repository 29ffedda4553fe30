/*
 * tools/shell.c — strata: the interactive shell (like sqlite3's).
 *
 *   strata [-c SQL] [-f FILE] DIR [-c SQL]
 *
 * Opens (or creates) the database in DIR. With -c and/or -f it runs them in the order given and
 * exits; otherwise it reads standard input: with a prompt and line editing (libedit; history in
 * ~/.strata_history) when stdin is a terminal, silently when it is not. Statements may span
 * lines and end with ';'. Lines starting with '.' (outside a statement) are dot commands:
 * .help .tables .schema [t] .timer on|off .mode table|csv|json .quit
 *
 * Errors go to standard error ("Error: <message>"); a non-interactive run continues with the
 * next statement and exits with status 1 if any statement failed.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <editline/readline.h>

#include "strata.h"

enum { MODE_TABLE, MODE_CSV, MODE_JSON };

typedef struct shell {
    strata_db *db;
    strata_conn *c;
    int mode;
    int timer;
    int interactive;
    int failed; /* a statement or command failed */
    int quit;
} shell;

static void *xmalloc(size_t n)
{
    void *p = malloc(n ? n : 1);
    if (!p) {
        fprintf(stderr, "strata: out of memory\n");
        exit(2);
    }
    return p;
}

static char *xstrdup(const char *s)
{
    size_t n = strlen(s) + 1;
    return memcpy(xmalloc(n), s, n);
}

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* ------------------------------------------------------------------ result sets */

typedef struct result {
    int ncols;
    char **names;
    int *numeric; /* per column: right-align / unquoted in JSON */
    char **cells; /* nrows * ncols; NULL for SQL NULL */
    size_t nrows, cap;
} result;

static void result_free(result *r)
{
    for (int i = 0; i < r->ncols; i++) free(r->names[i]);
    if (r->ncols > 0)
        for (size_t i = 0; i < r->nrows * (size_t)r->ncols; i++) free(r->cells[i]);
    free(r->names);
    free(r->numeric);
    free(r->cells);
    memset(r, 0, sizeof *r);
}

static int is_numeric_type(int t)
{
    return t == STRATA_TYPE_INT || t == STRATA_TYPE_BIGINT || t == STRATA_TYPE_DOUBLE ||
           t == STRATA_TYPE_BOOLEAN;
}

static void result_add_row(result *r, strata_stmt *s)
{
    if ((r->nrows + 1) * (size_t)r->ncols > r->cap) {
        r->cap = r->cap ? r->cap * 2 : (size_t)r->ncols * 64;
        r->cells = realloc(r->cells, r->cap * sizeof *r->cells);
        if (!r->cells) {
            fprintf(stderr, "strata: out of memory\n");
            exit(2);
        }
    }
    for (int c = 0; c < r->ncols; c++) {
        char **cell = &r->cells[r->nrows * (size_t)r->ncols + (size_t)c];
        if (strata_column_is_null(s, c)) {
            *cell = NULL;
        } else {
            const char *t = strata_column_text(s, c);
            *cell = xstrdup(t ? t : "");
        }
    }
    r->nrows++;
}

static size_t utf8_width(const char *s)
{
    size_t w = 0;
    for (; *s; s++) w += ((unsigned char)*s & 0xc0) != 0x80;
    return w;
}

static void print_rule(const size_t *w, int n)
{
    for (int c = 0; c < n; c++) {
        putchar('+');
        for (size_t i = 0; i < w[c] + 2; i++) putchar('-');
    }
    puts("+");
}

static void print_cell(const char *s, size_t width, int right)
{
    size_t pad = width - utf8_width(s);
    printf("| ");
    if (right)
        for (size_t i = 0; i < pad; i++) putchar(' ');
    fputs(s, stdout);
    if (!right)
        for (size_t i = 0; i < pad; i++) putchar(' ');
    putchar(' ');
}

static void print_table(const result *r)
{
    size_t *w = xmalloc((size_t)r->ncols * sizeof *w);
    for (int c = 0; c < r->ncols; c++) w[c] = utf8_width(r->names[c]);
    for (size_t i = 0; i < r->nrows; i++)
        for (int c = 0; c < r->ncols; c++) {
            const char *v = r->cells[i * (size_t)r->ncols + (size_t)c];
            size_t n = utf8_width(v ? v : "NULL");
            if (n > w[c]) w[c] = n;
        }
    print_rule(w, r->ncols);
    for (int c = 0; c < r->ncols; c++) print_cell(r->names[c], w[c], 0);
    puts("|");
    print_rule(w, r->ncols);
    for (size_t i = 0; i < r->nrows; i++) {
        for (int c = 0; c < r->ncols; c++) {
            const char *v = r->cells[i * (size_t)r->ncols + (size_t)c];
            print_cell(v ? v : "NULL", w[c], r->numeric[c] && v);
        }
        puts("|");
    }
    if (r->nrows) print_rule(w, r->ncols);
    printf("(%zu row%s)\n", r->nrows, r->nrows == 1 ? "" : "s");
    free(w);
}

static void csv_field(const char *s)
{
    if (!s) return;
    if (strpbrk(s, ",\"\n\r") == NULL) {
        fputs(s, stdout);
        return;
    }
    putchar('"');
    for (; *s; s++) {
        if (*s == '"') putchar('"');
        putchar(*s);
    }
    putchar('"');
}

static void print_csv(const result *r)
{
    for (int c = 0; c < r->ncols; c++) {
        if (c) putchar(',');
        csv_field(r->names[c]);
    }
    putchar('\n');
    for (size_t i = 0; i < r->nrows; i++) {
        for (int c = 0; c < r->ncols; c++) {
            if (c) putchar(',');
            csv_field(r->cells[i * (size_t)r->ncols + (size_t)c]);
        }
        putchar('\n');
    }
}

static void json_string(const char *s)
{
    putchar('"');
    for (; *s; s++) {
        unsigned char ch = (unsigned char)*s;
        if (ch == '"' || ch == '\\')
            printf("\\%c", ch);
        else if (ch == '\n')
            fputs("\\n", stdout);
        else if (ch == '\t')
            fputs("\\t", stdout);
        else if (ch == '\r')
            fputs("\\r", stdout);
        else if (ch < 0x20)
            printf("\\u%04x", ch);
        else
            putchar(ch);
    }
    putchar('"');
}

static void print_json(const result *r)
{
    putchar('[');
    for (size_t i = 0; i < r->nrows; i++) {
        fputs(i ? ",\n{" : "{", stdout);
        for (int c = 0; c < r->ncols; c++) {
            const char *v = r->cells[i * (size_t)r->ncols + (size_t)c];
            if (c) putchar(',');
            json_string(r->names[c]);
            putchar(':');
            if (!v)
                fputs("null", stdout);
            else if (r->numeric[c] && strcmp(v, "nan") && strcmp(v, "inf") && strcmp(v, "-inf"))
                fputs(v, stdout);
            else
                json_string(v);
        }
        putchar('}');
    }
    puts("]");
}

/* ------------------------------------------------------------------ running SQL */

static void report_error(shell *sh, const char *what)
{
    fprintf(stderr, "Error: %s\n", what);
    sh->failed = 1;
}

/* Runs every statement of sql, printing each result set per the mode. Returns 0 or -1. */
static int run_sql(shell *sh, const char *sql, result *keep)
{
    const char *tail = sql;
    while (tail && *tail) {
        strata_stmt *s = NULL;
        const char *next = NULL;
        double t0 = now();
        int rc = strata_prepare(sh->c, tail, &s, &next);
        if (rc != STRATA_OK) {
            report_error(sh, strata_errmsg(sh->c));
            return -1;
        }
        if (!s) break;
        result r = {0};
        r.ncols = strata_column_count(s);
        if (r.ncols < 0) r.ncols = 0;
        if (r.ncols > 0) {
            r.names = xmalloc((size_t)r.ncols * sizeof *r.names);
            r.numeric = xmalloc((size_t)r.ncols * sizeof *r.numeric);
            for (int c = 0; c < r.ncols; c++) {
                const char *n = strata_column_name(s, c);
                r.names[c] = xstrdup(n ? n : "?");
                r.numeric[c] = is_numeric_type(strata_column_decltype(s, c));
            }
        }
        while ((rc = strata_step(s)) == STRATA_ROW) result_add_row(&r, s);
        strata_finalize(s);
        if (rc != STRATA_DONE) {
            report_error(sh, strata_errmsg(sh->c));
            result_free(&r);
            return -1;
        }
        if (keep) {
            result_free(keep);
            *keep = r;
        } else if (r.ncols > 0) {
            if (sh->mode == MODE_CSV)
                print_csv(&r);
            else if (sh->mode == MODE_JSON)
                print_json(&r);
            else
                print_table(&r);
            result_free(&r);
        } else {
            result_free(&r);
        }
        if (sh->timer) printf("Run Time: %.3f s\n", now() - t0);
        if (next == tail) break;
        tail = next;
    }
    return 0;
}

/* ------------------------------------------------------------------ dot commands */

static int find_col(const result *r, const char *const *names)
{
    for (int i = 0; names[i]; i++)
        for (int c = 0; c < r->ncols; c++)
            if (!strcmp(r->names[c], names[i])) return c;
    return -1;
}

static void dot_tables(shell *sh)
{
    result r = {0};
    if (run_sql(sh, "SELECT * FROM system.tables", &r) != 0) return;
    static const char *const ns_cols[] = {"namespace", "namespace_name", "schema", NULL};
    static const char *const name_cols[] = {"name", "table_name", "table", NULL};
    int ns = find_col(&r, ns_cols), nm = find_col(&r, name_cols);
    if (nm < 0) {
        print_table(&r);
    } else {
        for (size_t i = 0; i < r.nrows; i++) {
            const char *n = r.cells[i * (size_t)r.ncols + (size_t)nm];
            const char *s = ns >= 0 ? r.cells[i * (size_t)r.ncols + (size_t)ns] : NULL;
            if (s && *s)
                printf("%s.%s\n", s, n ? n : "");
            else
                printf("%s\n", n ? n : "");
        }
    }
    result_free(&r);
}

/* .schema [t]: CREATE TABLE statements rebuilt from system.tables (kind) and system.columns
 * (name, type, NOT NULL, primary-key position), in column order. */
static void dot_schema(shell *sh, const char *table)
{
    result t = {0}, c = {0};
    if (run_sql(sh, "SELECT * FROM system.tables", &t) != 0) return;
    if (run_sql(sh, "SELECT * FROM system.columns", &c) != 0) {
        result_free(&t);
        return;
    }
    static const char *const ns_k[] = {"namespace", NULL}, *const name_k[] = {"name", NULL},
                             *const kind_k[] = {"kind", NULL}, *const tn_k[] = {"table_name", NULL},
                             *const type_k[] = {"type", NULL}, *const nn_k[] = {"not_null", NULL},
                             *const pk_k[] = {"pk_position", NULL};
    int tns = find_col(&t, ns_k), tnm = find_col(&t, name_k), tkind = find_col(&t, kind_k);
    int cns = find_col(&c, ns_k), ctn = find_col(&c, tn_k), cnm = find_col(&c, name_k);
    int cty = find_col(&c, type_k), cnn = find_col(&c, nn_k), cpk = find_col(&c, pk_k);
    if (tns < 0 || tnm < 0 || cns < 0 || ctn < 0 || cnm < 0 || cty < 0) {
        /* an unexpected catalog shape: show the raw rows */
        print_table(&c);
        goto out;
    }
    for (size_t i = 0; i < t.nrows; i++) {
        char **tr = &t.cells[i * (size_t)t.ncols];
        const char *ns = tr[tns] ? tr[tns] : "", *nm = tr[tnm] ? tr[tnm] : "";
        if (table) {
            const char *dot = strchr(table, '.');
            if (dot ? strncmp(table, ns, (size_t)(dot - table)) || strcmp(dot + 1, nm)
                    : strcmp(table, nm) != 0)
                continue;
        }
        const char *kind = tkind >= 0 && tr[tkind] ? tr[tkind] : "";
        printf("CREATE ");
        for (const char *k = kind; *k; k++) putchar(toupper((unsigned char)*k));
        printf("%sTABLE %s.%s (", *kind ? " " : "", ns, nm);
        int first = 1, npk = 0;
        for (size_t j = 0; j < c.nrows; j++) {
            char **cr = &c.cells[j * (size_t)c.ncols];
            if (!cr[cns] || !cr[ctn] || strcmp(cr[cns], ns) || strcmp(cr[ctn], nm)) continue;
            printf("%s%s %s", first ? "" : ", ", cr[cnm] ? cr[cnm] : "?", cr[cty] ? cr[cty] : "");
            if (cnn >= 0 && cr[cnn] && (!strcmp(cr[cnn], "1") || !strcmp(cr[cnn], "true")))
                printf(" NOT NULL");
            if (cpk >= 0 && cr[cpk]) npk++;
            first = 0;
        }
        if (npk > 0) {
            printf(", PRIMARY KEY (");
            for (int k = 0, done = 0; done < npk && k < 64; k++)
                for (size_t j = 0; j < c.nrows; j++) {
                    char **cr = &c.cells[j * (size_t)c.ncols];
                    if (!cr[cns] || !cr[ctn] || strcmp(cr[cns], ns) || strcmp(cr[ctn], nm) ||
                        !cr[cpk] || strtol(cr[cpk], NULL, 10) != k)
                        continue;
                    printf("%s%s", done ? ", " : "", cr[cnm] ? cr[cnm] : "?");
                    done++;
                }
            printf(")");
        }
        printf(");\n");
    }
out:
    result_free(&t);
    result_free(&c);
}

static void dot_help(void)
{
    printf(".help               this text\n"
           ".tables             list the tables (namespace.name)\n"
           ".schema [TABLE]     the definition of every table, or of TABLE\n"
           ".timer on|off       print the run time of each statement\n"
           ".mode table|csv|json  output format (default table)\n"
           ".quit               exit (also .exit, Ctrl-D)\n"
           "SQL statements end with ';' and may span lines.\n");
}

static void dot_command(shell *sh, char *line)
{
    char *argv[4] = {0};
    int argc = 0;
    for (char *tok = strtok(line, " \t\r\n"); tok && argc < 4; tok = strtok(NULL, " \t\r\n"))
        argv[argc++] = tok;
    if (argc == 0) return;
    const char *cmd = argv[0];
    if (!strcmp(cmd, ".help")) {
        dot_help();
    } else if (!strcmp(cmd, ".quit") || !strcmp(cmd, ".exit") || !strcmp(cmd, ".q")) {
        sh->quit = 1;
    } else if (!strcmp(cmd, ".tables")) {
        dot_tables(sh);
    } else if (!strcmp(cmd, ".schema")) {
        dot_schema(sh, argv[1]);
    } else if (!strcmp(cmd, ".timer")) {
        if (argc == 2 && (!strcmp(argv[1], "on") || !strcmp(argv[1], "off")))
            sh->timer = !strcmp(argv[1], "on");
        else
            report_error(sh, "usage: .timer on|off");
    } else if (!strcmp(cmd, ".mode")) {
        if (argc == 2 && !strcmp(argv[1], "table"))
            sh->mode = MODE_TABLE;
        else if (argc == 2 && !strcmp(argv[1], "csv"))
            sh->mode = MODE_CSV;
        else if (argc == 2 && !strcmp(argv[1], "json"))
            sh->mode = MODE_JSON;
        else
            report_error(sh, "usage: .mode table|csv|json");
    } else {
        char msg[256];
        snprintf(msg, sizeof msg, "unknown command %s (try .help)", cmd);
        report_error(sh, msg);
    }
}

/* ------------------------------------------------------------------ input */

/* 1 if sql ends (outside quotes and comments) with ';' followed only by space/comments. */
static int statement_complete(const char *s)
{
    int last_semicolon = 0;
    while (*s) {
        char ch = *s;
        if (ch == '\'' || ch == '"' || ch == '`') {
            s++;
            while (*s && !(*s == ch && s[1] != ch)) s += (*s == ch) ? 2 : 1;
            if (!*s) return 0; /* open quote */
            s++;
            last_semicolon = 0;
        } else if (ch == '-' && s[1] == '-') {
            while (*s && *s != '\n') s++;
        } else if (ch == '/' && s[1] == '*') {
            const char *e = strstr(s + 2, "*/");
            if (!e) return 0;
            s = e + 2;
        } else {
            if (ch == ';')
                last_semicolon = 1;
            else if (ch != ' ' && ch != '\t' && ch != '\n' && ch != '\r')
                last_semicolon = 0;
            s++;
        }
    }
    return last_semicolon;
}

typedef struct pending {
    char *p;
    size_t n, cap;
} pending;

static void pending_add(pending *b, const char *line)
{
    size_t m = strlen(line);
    if (b->n + m + 2 > b->cap) {
        b->cap = (b->n + m + 2) * 2;
        b->p = realloc(b->p, b->cap);
        if (!b->p) {
            fprintf(stderr, "strata: out of memory\n");
            exit(2);
        }
    }
    memcpy(b->p + b->n, line, m);
    b->n += m;
    b->p[b->n++] = '\n';
    b->p[b->n] = 0;
}

static int only_space(const char *s)
{
    for (; *s; s++)
        if (*s != ' ' && *s != '\t' && *s != '\r' && *s != '\n') return 0;
    return 1;
}

/* Feeds one input line; runs what it completes. */
static void feed_line(shell *sh, pending *buf, const char *line)
{
    if (buf->n == 0 || only_space(buf->p)) {
        const char *p = line;
        while (*p == ' ' || *p == '\t') p++;
        if (*p == '.') {
            char *copy = xstrdup(p);
            dot_command(sh, copy);
            free(copy);
            buf->n = 0;
            return;
        }
    }
    pending_add(buf, line);
    if (statement_complete(buf->p)) {
        run_sql(sh, buf->p, NULL);
        buf->n = 0;
        buf->p[0] = 0;
    }
}

static void finish_pending(shell *sh, pending *buf)
{
    if (buf->n && !only_space(buf->p)) run_sql(sh, buf->p, NULL); /* a last statement without ; */
    buf->n = 0;
}

static void run_stream(shell *sh, FILE *in)
{
    pending buf = {0};
    char *line = NULL;
    size_t cap = 0;
    ssize_t n;
    while (!sh->quit && (n = getline(&line, &cap, in)) >= 0) {
        if (n > 0 && line[n - 1] == '\n') line[n - 1] = 0;
        feed_line(sh, &buf, line);
    }
    if (!sh->quit) finish_pending(sh, &buf);
    free(line);
    free(buf.p);
}

static void run_interactive(shell *sh, const char *dir)
{
    char hist[4096] = "";
    const char *home = getenv("HOME");
    if (home) {
        snprintf(hist, sizeof hist, "%s/.strata_history", home);
        using_history();
        read_history(hist);
    }
    printf("strata %s — %s. Enter .help for help; statements end with ';'.\n", "0.1", dir);
    pending buf = {0};
    while (!sh->quit) {
        char *line = readline(buf.n ? "   ...> " : "strata> ");
        if (!line) {
            putchar('\n');
            break;
        }
        if (*line) add_history(line);
        feed_line(sh, &buf, line);
        free(line);
    }
    finish_pending(sh, &buf);
    free(buf.p);
    if (*hist) write_history(hist);
}

static void usage(FILE *f)
{
    fprintf(f, "usage: strata [-c SQL] [-f FILE] DIR [-c SQL]\n"
               "  DIR       the database directory (created if missing)\n"
               "  -c SQL    run SQL (statements and dot commands) and exit\n"
               "  -f FILE   run the statements of FILE and exit ('-' = standard input)\n"
               "Without -c/-f: reads standard input (interactive when it is a terminal).\n");
}

int main(int argc, char **argv)
{
    const char *dir = NULL;
    /* actions in order: 'c' SQL or 'f' file */
    char kinds[64];
    const char *args[64];
    int nact = 0;
    for (int i = 1; i < argc; i++) {
        if ((!strcmp(argv[i], "-c") || !strcmp(argv[i], "-f")) && i + 1 < argc && nact < 64) {
            kinds[nact] = argv[i][1];
            args[nact++] = argv[++i];
        } else if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
            usage(stdout);
            return 0;
        } else if (argv[i][0] == '-' && argv[i][1]) {
            fprintf(stderr, "strata: unknown or incomplete option %s\n", argv[i]);
            usage(stderr);
            return 2;
        } else if (!dir) {
            dir = argv[i];
        } else {
            fprintf(stderr, "strata: more than one database directory (%s, %s)\n", dir, argv[i]);
            return 2;
        }
    }
    if (!dir) {
        usage(stderr);
        return 2;
    }
    shell sh = {0};
    if (strata_open(dir, NULL, &sh.db) != STRATA_OK) {
        fprintf(stderr, "Error: cannot open %s: %s\n", dir, strata_open_errmsg());
        return 1;
    }
    if (strata_connect(sh.db, &sh.c) != STRATA_OK) {
        fprintf(stderr, "Error: cannot connect to %s\n", dir);
        strata_close(sh.db);
        return 1;
    }
    for (int i = 0; i < nact && !sh.quit; i++) {
        if (kinds[i] == 'c') {
            pending buf = {0};
            char *copy = xstrdup(args[i]), *save = NULL;
            /* line by line, so dot commands work in -c too */
            for (char *ln = strtok_r(copy, "\n", &save); ln && !sh.quit;
                 ln = strtok_r(NULL, "\n", &save))
                feed_line(&sh, &buf, ln);
            if (!sh.quit) finish_pending(&sh, &buf);
            free(buf.p);
            free(copy);
        } else {
            FILE *in = strcmp(args[i], "-") ? fopen(args[i], "r") : stdin;
            if (!in) {
                fprintf(stderr, "Error: %s: %s\n", args[i], strerror(errno));
                sh.failed = 1;
                continue;
            }
            run_stream(&sh, in);
            if (in != stdin) fclose(in);
        }
    }
    if (nact == 0) {
        sh.interactive = isatty(STDIN_FILENO);
        if (sh.interactive)
            run_interactive(&sh, dir);
        else
            run_stream(&sh, stdin);
    }
    fflush(stdout);
    strata_disconnect(sh.c);
    if (strata_close(sh.db) != STRATA_OK) {
        fprintf(stderr, "Error: close %s: %s\n", dir, strata_open_errmsg());
        return 1;
    }
    return sh.failed && !sh.interactive ? 1 : 0;
}
