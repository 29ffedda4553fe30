/* exec/exec.c — the execution context, operator dispatch and EXPLAIN (see exec.h). */
#include "exec/exec.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void exec_ctx_init(exec_ctx *ctx)
{
    memset(ctx, 0, sizeof *ctx);
    arena_init(&ctx->arena, 16 * 1024);
}

void exec_ctx_free(exec_ctx *ctx)
{
    arena_destroy(&ctx->arena);
}

int exec_error(exec_ctx *ctx, int code, const char *fmt, ...)
{
    if (ctx->errcode == STRATA_OK) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(ctx->errmsg, sizeof ctx->errmsg, fmt, ap);
        va_end(ap);
        ctx->errcode = code;
    }
    return code;
}

int exec_kv_error(exec_ctx *ctx, int code, const char *what)
{
    return exec_error(ctx, code, "%s: %s", what, strata_kv_errmsg());
}

int exec_open(exec_op *op, exec_ctx *ctx)
{
    return op->vt->open(op, ctx);
}

void exec_new_run(exec_ctx *ctx)
{
    ctx->run++;
    ctx->errcode = STRATA_OK;
    ctx->errmsg[0] = 0;
    ctx->changes = 0;
    ctx->nouter = 0;
}

int exec_next(exec_op *op, exec_ctx *ctx, exec_chunk **out)
{
    return op->vt->next(op, ctx, out);
}

void exec_close(exec_op *op, exec_ctx *ctx)
{
    if (op && op->vt->close) op->vt->close(op, ctx);
}

void exec_free(exec_op *op)
{
    if (!op) return;
    for (int i = 0; i < op->nchildren; i++) exec_free(op->child[i]);
    if (op->vt->destroy) op->vt->destroy(op);
    free(op);
}

typedef struct strbuf {
    char *p;
    size_t n, cap;
} strbuf;

static void sb_add(strbuf *b, const char *s, size_t n)
{
    if (b->n + n + 1 > b->cap) {
        b->cap = (b->n + n + 1) * 2;
        b->p = realloc(b->p, b->cap);
        if (!b->p) abort();
    }
    memcpy(b->p + b->n, s, n);
    b->n += n;
    b->p[b->n] = 0;
}

static void explain_rec(const exec_op *op, int depth, strbuf *b)
{
    for (int i = 0; i < depth; i++) sb_add(b, "  ", 2);
    sb_add(b, op->vt->name, strlen(op->vt->name));
    if (op->vt->explain) {
        char buf[512];
        buf[0] = 0;
        op->vt->explain(op, buf, sizeof buf);
        if (buf[0]) {
            sb_add(b, " ", 1);
            sb_add(b, buf, strlen(buf));
        }
    }
    sb_add(b, "\n", 1);
    for (int i = 0; i < op->nchildren; i++) explain_rec(op->child[i], depth + 1, b);
}

char *exec_explain(const exec_op *root)
{
    strbuf b = {0};
    sb_add(&b, "", 0);
    if (root) explain_rec(root, 0, &b);
    return b.p;
}

int exec_run(exec_ctx *ctx, const plan_node *plan)
{
    exec_op *root;
    int rc = exec_build(ctx, plan, &root);
    if (rc) return rc;
    rc = exec_open(root, ctx);
    while (!rc) {
        exec_chunk *c;
        rc = exec_next(root, ctx, &c);
        if (rc || c->count == 0) break;
    }
    exec_close(root, ctx);
    exec_free(root);
    return rc;
}
