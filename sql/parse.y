/*
 * sql/parse.y — the SQL grammar of strata (Lemon; SQLite's src/parse.y conventions).
 *
 * Run through lemon at build time (CMake: build/sql/parse.c, parse.h); nothing generated is
 * committed. Tokens are pointer + length into the SQL text (sql_token); %extra_context carries
 * the parse state (sql_parse, sql/ast.h). Every action is one call to a constructor of
 * sql/ast.c, which accepts NULL inputs.
 *
 * Memory: every non-terminal's value lives in the parse's arena (sql_parse.arena), so the
 * partial trees on the parser's stack at a syntax error are freed with the arena — there is no
 * heap-owned non-terminal, hence no %destructor. The %type of every non-terminal is declared.
 *
 * Errors: the first one ends the parse (sql_parse_next stops feeding tokens):
 *   syntax error at line 1, column 15 near "FORM"      (STRATA_SYNTAX)
 *   incomplete input at line 1, column 20              (the input ended inside a statement)
 * The parser's stack is bounded (%stack_size 400: about 390 nested parentheses, small enough
 * that allocating the parser per statement is cheap); overflowing it is STRATA_TOOBIG.
 *
 * Non-reserved keywords fall back to ID (%fallback), so `first`, `key`, `user`, `view` ... can
 * name columns and tables. Operator precedence is SQLite's.
 */

%include {
#include <assert.h>
#include <stdlib.h>
#include <string.h>

#include "parse.h"
#include "sql/ast.h"
#include "strata_status.h"

static void sql_syntax_error(sql_parse *p, const sql_token *t)
{
    if (t->n == 0)
        sql_parse_error(p, STRATA_SYNTAX, "incomplete input at line %u, column %u",
                        (unsigned)t->line, (unsigned)t->col);
    else
        sql_parse_error(p, STRATA_SYNTAX, "syntax error at line %u, column %u near \"%.*s\"",
                        (unsigned)t->line, (unsigned)t->col, (int)(t->n > 64 ? 64 : t->n), t->p);
}

static int tk_op(int tk)
{
    switch (tk) {
    case TK_AND: return SQL_OP_AND;
    case TK_OR: return SQL_OP_OR;
    case TK_LT: return SQL_OP_LT;
    case TK_LE: return SQL_OP_LE;
    case TK_GT: return SQL_OP_GT;
    case TK_GE: return SQL_OP_GE;
    case TK_EQ: return SQL_OP_EQ;
    case TK_NE: return SQL_OP_NE;
    case TK_PLUS: return SQL_OP_ADD;
    case TK_MINUS: return SQL_OP_SUB;
    case TK_STAR: return SQL_OP_MUL;
    case TK_SLASH: return SQL_OP_DIV;
    case TK_REM: return SQL_OP_MOD;
    case TK_CONCAT: return SQL_OP_CONCAT;
    case TK_BITAND: return SQL_OP_BITAND;
    case TK_BITOR: return SQL_OP_BITOR;
    case TK_LSHIFT: return SQL_OP_LSHIFT;
    case TK_RSHIFT: return SQL_OP_RSHIFT;
    }
    return SQL_OP_NONE;
}

static sql_token no_token(void)
{
    sql_token t = {NULL, 0, 0, 0};
    return t;
}
}

%name sqlParser
%token_prefix TK_
%token_type {sql_token}
%default_type {sql_token}
%extra_context {sql_parse *pParse}
%stack_size 400

%syntax_error {
    (void)yymajor;
    sql_syntax_error(pParse, &TOKEN);
}
%stack_overflow {
    sql_parse_error(pParse, STRATA_TOOBIG, "parser stack overflow: statement nested too deeply");
}

/* The tokens in this order get the smallest codes; ID first so %fallback can name it. */
%token ID STRING INTEGER FLOAT BLOB.

%fallback ID
  ASC DESC NULLS FIRST LAST CONFLICT DO NOTHING NAMESPACE NAMESPACES SHARED USER STREAM KEY
  TABLES CASCADE VIEW TRUNCATE SHOW DESCRIBE EXPLAIN USE REFRESH IF ESCAPE TEMP TEMPORARY.

%left OR.
%left AND.
%right NOT.
%left IS LIKE BETWEEN IN NE EQ.
%left GT LE LT GE.
%right ESCAPE.
%left BITAND BITOR LSHIFT RSHIFT.
%left PLUS MINUS.
%left STAR SLASH REM.
%left CONCAT.
%right UMINUS BITNOT.

input ::= cmdlist.
cmdlist ::= cmdlist ecmd.
cmdlist ::= ecmd.
ecmd ::= SEMI.
ecmd ::= cmdx SEMI.
cmdx ::= cmd(X). { pParse->stmt = X; }

%type cmd {sql_stmt *}

/* ---- SELECT / EXPLAIN ---- */
cmd(A) ::= select(S). { A = sql_stmt_new(pParse, SQL_ST_SELECT, &S->tok); A->sel = S; }
cmd(A) ::= EXPLAIN(T) select(S). { A = sql_stmt_new(pParse, SQL_ST_EXPLAIN, &T); A->sel = S; }

/* ---- namespaces ---- */
cmd(A) ::= CREATE(T) NAMESPACE ifnotexists(E) nm(N). {
    A = sql_stmt_new(pParse, SQL_ST_CREATE_NAMESPACE, &T);
    A->if_not_exists = (uint8_t)E;
    A->name = sql_qname_make(pParse, NULL, &N);
}
cmd(A) ::= DROP(T) NAMESPACE ifexists(E) nm(N) cascade(C). {
    A = sql_stmt_new(pParse, SQL_ST_DROP_NAMESPACE, &T);
    A->if_exists = (uint8_t)E;
    A->cascade = (uint8_t)C;
    A->name = sql_qname_make(pParse, NULL, &N);
}
cmd(A) ::= USE(T) nm(N). {
    A = sql_stmt_new(pParse, SQL_ST_USE, &T);
    A->name = sql_qname_make(pParse, NULL, &N);
}
cmd(A) ::= SHOW(T) NAMESPACES. { A = sql_stmt_new(pParse, SQL_ST_SHOW_NAMESPACES, &T); }
cmd(A) ::= SHOW(T) TABLES. { A = sql_stmt_new(pParse, SQL_ST_SHOW_TABLES, &T); }
cmd(A) ::= SHOW(T) TABLES IN|FROM nm(N). {
    A = sql_stmt_new(pParse, SQL_ST_SHOW_TABLES, &T);
    A->name = sql_qname_make(pParse, NULL, &N);
}

%type ifnotexists {int}
ifnotexists(A) ::= . { A = 0; }
ifnotexists(A) ::= IF NOT EXISTS. { A = 1; }
%type ifexists {int}
ifexists(A) ::= . { A = 0; }
ifexists(A) ::= IF EXISTS. { A = 1; }
%type cascade {int}
cascade(A) ::= . { A = 0; }
cascade(A) ::= CASCADE. { A = 1; }

/* ---- tables ---- */
cmd(A) ::= create_table(C) LP coldeflist conslist RP with_opt. { A = C; pParse->cur = NULL; }

%type create_table {sql_stmt *}
create_table(A) ::= CREATE(T) tablekind(K) TABLE ifnotexists(E) fullname(N). {
    A = sql_stmt_new(pParse, SQL_ST_CREATE_TABLE, &T);
    A->table_kind = (uint8_t)K;
    A->if_not_exists = (uint8_t)E;
    A->name = N;
    pParse->cur = A;
}
%type tablekind {int}
tablekind(A) ::= . { A = SQL_TABLE_DEFAULT; }
tablekind(A) ::= SHARED. { A = SQL_TABLE_SHARED; }
tablekind(A) ::= USER. { A = SQL_TABLE_USER; }
tablekind(A) ::= STREAM. { A = SQL_TABLE_STREAM; }

coldeflist ::= coldeflist COMMA coldef.
coldeflist ::= coldef.
coldef ::= columnname carglist.
columnname ::= nm(N) typetoken(T). { sql_stmt_add_column(pParse, &N, &T); }
carglist ::= carglist ccons.
carglist ::= .
ccons ::= NOT NULL. {
    sql_coldef *c = sql_last_column(pParse);
    if (c) c->not_null = 1;
}
ccons ::= NULL.
ccons ::= PRIMARY KEY sortorder. {
    sql_coldef *c = sql_last_column(pParse);
    if (c) c->primary_key = 1;
}
ccons ::= DEFAULT term(X). {
    sql_coldef *c = sql_last_column(pParse);
    if (c) c->dflt = X;
}
ccons ::= DEFAULT LP expr(X) RP. {
    sql_coldef *c = sql_last_column(pParse);
    if (c) c->dflt = X;
}
ccons ::= DEFAULT ID(X). { /* DEFAULT CURRENT_TIMESTAMP */
    sql_coldef *c = sql_last_column(pParse);
    if (c) c->dflt = sql_expr_column(pParse, &X, NULL, NULL);
}
ccons ::= DEFAULT PLUS term(X). {
    sql_coldef *c = sql_last_column(pParse);
    if (c) c->dflt = X;
}
ccons ::= DEFAULT MINUS(T) term(X). {
    sql_coldef *c = sql_last_column(pParse);
    if (c) c->dflt = sql_expr_unary(pParse, SQL_OP_NEG, X, &T);
}
conslist ::= .
conslist ::= COMMA PRIMARY KEY LP idlist(L) RP. { if (pParse->cur) pParse->cur->ids = L; }

%type typetoken {sql_token}
typetoken(A) ::= typename(A).
typetoken(A) ::= typename(X) LP signed RP(Y). { A = sql_token_span(&X, &Y); }
typetoken(A) ::= typename(X) LP signed COMMA signed RP(Y). { A = sql_token_span(&X, &Y); }
%type typename {sql_token}
typename(A) ::= ID(A).
typename(A) ::= typename(X) ID(Y). { A = sql_token_span(&X, &Y); }
signed ::= INTEGER.
signed ::= PLUS INTEGER.
signed ::= MINUS INTEGER.

with_opt ::= .
with_opt ::= WITH LP optlist RP.
optlist ::= optlist COMMA opt.
optlist ::= opt.
opt ::= nm(K) EQ term(V). { sql_stmt_add_option(pParse, &K, V); }
opt ::= nm(K) EQ nm(V). { sql_stmt_add_option(pParse, &K, sql_expr_column(pParse, &V, NULL, NULL)); }

cmd(A) ::= DROP(T) TABLE ifexists(E) fullname(N). {
    A = sql_stmt_new(pParse, SQL_ST_DROP_TABLE, &T);
    A->if_exists = (uint8_t)E;
    A->name = N;
}
cmd(A) ::= TRUNCATE(T) TABLE fullname(N). {
    A = sql_stmt_new(pParse, SQL_ST_TRUNCATE, &T);
    A->name = N;
}
cmd(A) ::= TRUNCATE(T) fullname(N). {
    A = sql_stmt_new(pParse, SQL_ST_TRUNCATE, &T);
    A->name = N;
}
cmd(A) ::= DESCRIBE(T) fullname(N). {
    A = sql_stmt_new(pParse, SQL_ST_DESCRIBE, &T);
    A->name = N;
}
cmd(A) ::= REFRESH(T) TABLE fullname(N). {
    A = sql_stmt_new(pParse, SQL_ST_REFRESH, &T);
    A->name = N;
}

/* ---- views ---- */
/* CREATE TEMP VIEW is accepted for SQLite's scripts; the view is an ordinary (lasting) one */
cmd(A) ::= CREATE(T) temp VIEW ifnotexists(E) fullname(N) idlist_opt(L) AS select(S). {
    A = sql_stmt_new(pParse, SQL_ST_CREATE_VIEW, &T);
    A->if_not_exists = (uint8_t)E;
    A->name = N;
    A->ids = L;
    A->sel = S;
}
temp ::= .
temp ::= TEMP.
temp ::= TEMPORARY.
cmd(A) ::= DROP(T) VIEW ifexists(E) fullname(N). {
    A = sql_stmt_new(pParse, SQL_ST_DROP_VIEW, &T);
    A->if_exists = (uint8_t)E;
    A->name = N;
}

%type fullname {sql_qname}
fullname(A) ::= nm(X). { A = sql_qname_make(pParse, NULL, &X); }
fullname(A) ::= nm(X) DOT nm(Y). { A = sql_qname_make(pParse, &X, &Y); }

%type nm {sql_token}
nm(A) ::= ID(A).
/* "default" names the default namespace; DEFAULT cannot fall back to ID (a column's type name
 * would swallow its DEFAULT clause), so it is a name explicitly */
nm(A) ::= DEFAULT(A).

/* ---- INSERT / UPDATE / DELETE ---- */
cmd(A) ::= INSERT(T) INTO fullname(N) idlist_opt(L) select(S) upsert(U). {
    A = U ? U : sql_stmt_new(pParse, SQL_ST_INSERT, &T);
    A->tok = T;
    A->name = N;
    A->ids = L;
    A->sel = S;
}
%type upsert {sql_stmt *}
upsert(A) ::= . { A = NULL; }
upsert(A) ::= ON(T) CONFLICT idlist_opt(L) DO NOTHING. {
    A = sql_stmt_new(pParse, SQL_ST_INSERT, &T);
    A->conflict = SQL_CONFLICT_NOTHING;
    A->conflict_ids = L;
    A->conflict_tok = T;
}
upsert(A) ::= ON(T) CONFLICT idlist_opt(L) DO UPDATE SET setlist(S) where_opt(W). {
    A = sql_stmt_new(pParse, SQL_ST_INSERT, &T);
    A->conflict = SQL_CONFLICT_UPDATE;
    A->conflict_ids = L;
    A->conflict_tok = T;
    A->set = S;
    A->where = W;
}
%type idlist_opt {sql_id_list *}
idlist_opt(A) ::= . { A = NULL; }
idlist_opt(A) ::= LP idlist(X) RP. { A = X; }
%type idlist {sql_id_list *}
idlist(A) ::= idlist(L) COMMA nm(Y). { A = sql_id_list_append(pParse, L, &Y); }
idlist(A) ::= nm(Y). { A = sql_id_list_append(pParse, NULL, &Y); }

cmd(A) ::= UPDATE(T) fullname(N) SET setlist(S) where_opt(W). {
    A = sql_stmt_new(pParse, SQL_ST_UPDATE, &T);
    A->name = N;
    A->set = S;
    A->where = W;
}
cmd(A) ::= DELETE(T) FROM fullname(N) where_opt(W). {
    A = sql_stmt_new(pParse, SQL_ST_DELETE, &T);
    A->name = N;
    A->where = W;
}
%type setlist {sql_expr_list *}
setlist(A) ::= setlist(L) COMMA nm(C) EQ expr(E). {
    A = sql_expr_list_append(pParse, L, E);
    sql_expr_list_set_alias(pParse, A, &C);
}
setlist(A) ::= nm(C) EQ expr(E). {
    A = sql_expr_list_append(pParse, NULL, E);
    sql_expr_list_set_alias(pParse, A, &C);
}

/* ---- SELECT ---- */
%type select {sql_select *}
select(A) ::= selectnowith(S) orderby_opt(O) limit_opt(L). {
    A = sql_select_finish(pParse, S, O, L.limit, L.offset);
}
%type selectnowith {sql_select *}
selectnowith(A) ::= oneselect(A).
selectnowith(A) ::= selectnowith(L) multiselect_op(O) oneselect(R). {
    A = sql_select_compound(pParse, O, L, R);
}
%type multiselect_op {int}
multiselect_op(A) ::= UNION. { A = SQL_UNION; }
multiselect_op(A) ::= UNION ALL. { A = SQL_UNION_ALL; }
multiselect_op(A) ::= INTERSECT. { A = SQL_INTERSECT; }
multiselect_op(A) ::= EXCEPT. { A = SQL_EXCEPT; }

%type oneselect {sql_select *}
oneselect(A) ::= SELECT(T) distinct(D) selcollist(C) from(F) where_opt(W) groupby_opt(G)
                 having_opt(H). {
    A = sql_select_new(pParse, SQL_SEL_SIMPLE, &T);
    A->distinct = (uint8_t)D;
    A->cols = C;
    A->from = F;
    A->where = W;
    A->group_by = G;
    A->having = H;
}
oneselect(A) ::= values(A).
%type values {sql_select *}
values(A) ::= VALUES(T) LP nexprlist(L) RP. { A = sql_select_values(pParse, NULL, L, &T); }
values(A) ::= values(S) COMMA(T) LP nexprlist(L) RP. { A = sql_select_values(pParse, S, L, &T); }

%type distinct {int}
distinct(A) ::= DISTINCT. { A = 1; }
distinct(A) ::= ALL. { A = 0; }
distinct(A) ::= . { A = 0; }

%type selcollist {sql_expr_list *}
%type sclp {sql_expr_list *}
sclp(A) ::= selcollist(X) COMMA. { A = X; }
sclp(A) ::= . { A = NULL; }
selcollist(A) ::= sclp(L) expr(E) as(N). {
    A = sql_expr_list_append(pParse, L, E);
    if (N.n) sql_expr_list_set_alias(pParse, A, &N);
}
selcollist(A) ::= sclp(L) STAR(T). {
    A = sql_expr_list_append(pParse, L, sql_expr_new(pParse, SQL_E_STAR, &T));
}
selcollist(A) ::= sclp(L) nm(X) DOT STAR. {
    sql_expr *e = sql_expr_new(pParse, SQL_E_STAR, &X);
    e->table = sql_ident(pParse, &X);
    A = sql_expr_list_append(pParse, L, e);
}
%type as {sql_token}
as(X) ::= AS nm(Y). { X = Y; }
as(X) ::= ID(X).
as(X) ::= . { X = no_token(); }

%type from {sql_from *}
from(A) ::= . { A = NULL; }
from(A) ::= FROM seltablist(X). { A = X; }
%type seltablist {sql_from *}
seltablist(A) ::= seltab(A).
seltablist(A) ::= seltablist(F) COMMA seltab(T). {
    A = sql_from_join(pParse, F, SQL_JOIN_COMMA, T, NULL);
}
seltablist(A) ::= seltablist(F) CROSS JOIN seltab(T). {
    A = sql_from_join(pParse, F, SQL_JOIN_CROSS, T, NULL);
}
seltablist(A) ::= seltablist(F) JOIN seltab(T) ON expr(E). {
    A = sql_from_join(pParse, F, SQL_JOIN_INNER, T, E);
}
seltablist(A) ::= seltablist(F) INNER JOIN seltab(T) ON expr(E). {
    A = sql_from_join(pParse, F, SQL_JOIN_INNER, T, E);
}
seltablist(A) ::= seltablist(F) LEFT JOIN seltab(T) ON expr(E). {
    A = sql_from_join(pParse, F, SQL_JOIN_LEFT, T, E);
}
seltablist(A) ::= seltablist(F) LEFT OUTER JOIN seltab(T) ON expr(E). {
    A = sql_from_join(pParse, F, SQL_JOIN_LEFT, T, E);
}
%type seltab {sql_from *}
seltab(A) ::= fullname(N) as(Z). { A = sql_from_single(pParse, &N, NULL, &Z); }
seltab(A) ::= LP select(S) RP as(Z). { A = sql_from_single(pParse, NULL, S, &Z); }
/* a parenthesised join is flattened into the FROM list (sql_from_join says when that is exact) */
seltab(A) ::= LP seltablist(F) RP. { A = F; }

%type where_opt {sql_expr *}
where_opt(A) ::= . { A = NULL; }
where_opt(A) ::= WHERE expr(X). { A = X; }
%type groupby_opt {sql_expr_list *}
groupby_opt(A) ::= . { A = NULL; }
groupby_opt(A) ::= GROUP BY nexprlist(X). { A = X; }
%type having_opt {sql_expr *}
having_opt(A) ::= . { A = NULL; }
having_opt(A) ::= HAVING expr(X). { A = X; }

%type orderby_opt {sql_expr_list *}
orderby_opt(A) ::= . { A = NULL; }
orderby_opt(A) ::= ORDER BY sortlist(X). { A = X; }
%type sortlist {sql_expr_list *}
sortlist(A) ::= sortlist(L) COMMA expr(E) sortorder(O) nulls(N). {
    A = sql_expr_list_append(pParse, L, E);
    sql_expr_list_set_order(A, O, N);
}
sortlist(A) ::= expr(E) sortorder(O) nulls(N). {
    A = sql_expr_list_append(pParse, NULL, E);
    sql_expr_list_set_order(A, O, N);
}
%type sortorder {int}
sortorder(A) ::= ASC. { A = 0; }
sortorder(A) ::= DESC. { A = 1; }
sortorder(A) ::= . { A = 0; }
%type nulls {int}
nulls(A) ::= NULLS FIRST. { A = SQL_NULLS_FIRST; }
nulls(A) ::= NULLS LAST. { A = SQL_NULLS_LAST; }
nulls(A) ::= . { A = SQL_NULLS_DEFAULT; }

%type limit_opt {sql_limit}
limit_opt(A) ::= . { A.limit = NULL; A.offset = NULL; }
limit_opt(A) ::= LIMIT expr(X). { A.limit = X; A.offset = NULL; }
limit_opt(A) ::= LIMIT expr(X) OFFSET expr(Y). { A.limit = X; A.offset = Y; }
limit_opt(A) ::= LIMIT expr(X) COMMA expr(Y). { A.limit = Y; A.offset = X; }

%type exprlist {sql_expr_list *}
%type nexprlist {sql_expr_list *}
exprlist(A) ::= nexprlist(X). { A = X; }
exprlist(A) ::= . { A = NULL; }
nexprlist(A) ::= nexprlist(L) COMMA expr(E). { A = sql_expr_list_append(pParse, L, E); }
nexprlist(A) ::= expr(E). { A = sql_expr_list_append(pParse, NULL, E); }

/* ---- expressions ---- */
%type expr {sql_expr *}
%type term {sql_expr *}

expr(A) ::= term(X). { A = X; }
expr(A) ::= LP expr(X) RP. { A = X; }
expr(A) ::= nm(X). { A = sql_expr_column(pParse, &X, NULL, NULL); }
expr(A) ::= nm(X) DOT nm(Y). { A = sql_expr_column(pParse, &X, &Y, NULL); }
expr(A) ::= nm(X) DOT nm(Y) DOT nm(Z). { A = sql_expr_column(pParse, &X, &Y, &Z); }
term(A) ::= NULL|FLOAT|BLOB|STRING|INTEGER|TRUE|FALSE(X). { A = sql_expr_literal(pParse, @X, &X); }
expr(A) ::= QUESTION(X). { A = sql_expr_param(pParse, &X); }
expr(A) ::= nm(X) LP distinct(D) exprlist(Y) RP. { A = sql_expr_func(pParse, &X, Y, D, 0); }
expr(A) ::= nm(X) LP STAR RP. { A = sql_expr_func(pParse, &X, NULL, 0, 1); }
expr(A) ::= CAST(T) LP expr(E) AS typetoken(Y) RP. { A = sql_expr_cast(pParse, E, &Y, &T); }

expr(A) ::= expr(X) AND(OP) expr(Y). { A = sql_expr_binary(pParse, SQL_OP_AND, X, Y, &OP); }
expr(A) ::= expr(X) OR(OP) expr(Y). { A = sql_expr_binary(pParse, SQL_OP_OR, X, Y, &OP); }
expr(A) ::= expr(X) LT|GT|GE|LE(OP) expr(Y). {
    A = sql_expr_binary(pParse, tk_op(@OP), X, Y, &OP);
}
expr(A) ::= expr(X) EQ|NE(OP) expr(Y). { A = sql_expr_binary(pParse, tk_op(@OP), X, Y, &OP); }
expr(A) ::= expr(X) PLUS|MINUS(OP) expr(Y). {
    A = sql_expr_binary(pParse, tk_op(@OP), X, Y, &OP);
}
expr(A) ::= expr(X) STAR|SLASH|REM(OP) expr(Y). {
    A = sql_expr_binary(pParse, tk_op(@OP), X, Y, &OP);
}
expr(A) ::= expr(X) BITAND|BITOR|LSHIFT|RSHIFT(OP) expr(Y). {
    A = sql_expr_binary(pParse, tk_op(@OP), X, Y, &OP);
}
expr(A) ::= expr(X) CONCAT(OP) expr(Y). { A = sql_expr_binary(pParse, SQL_OP_CONCAT, X, Y, &OP); }

%type likeop {int}
likeop(A) ::= LIKE. { A = 0; }
likeop(A) ::= NOT LIKE. { A = 1; }
expr(A) ::= expr(X) likeop(N) expr(Y). [LIKE] {
    A = sql_expr_like(pParse, X, Y, NULL, N);
}
expr(A) ::= expr(X) likeop(N) expr(Y) ESCAPE expr(E). [LIKE] {
    A = sql_expr_like(pParse, X, Y, E, N);
}

expr(A) ::= expr(X) IS(T) expr(Y). { A = sql_expr_is(pParse, 0, X, Y, &T); }
expr(A) ::= expr(X) IS(T) NOT expr(Y). { A = sql_expr_is(pParse, 1, X, Y, &T); }

%type between_op {int}
between_op(A) ::= BETWEEN. { A = 0; }
between_op(A) ::= NOT BETWEEN. { A = 1; }
expr(A) ::= expr(X) between_op(N) expr(Y) AND expr(Z). [BETWEEN] {
    A = sql_expr_between(pParse, X, Y, Z, N);
}

%type in_op {int}
in_op(A) ::= IN. { A = 0; }
in_op(A) ::= NOT IN. { A = 1; }
expr(A) ::= expr(X) in_op(N) LP exprlist(Y) RP. [IN] { A = sql_expr_in_list(pParse, X, Y, N); }
expr(A) ::= expr(X) in_op(N) LP select(Y) RP. [IN] { A = sql_expr_in_select(pParse, X, Y, N); }
expr(A) ::= LP(T) select(X) RP. { A = sql_expr_subquery(pParse, SQL_E_SUBQUERY, X, &T); }
expr(A) ::= EXISTS(T) LP select(X) RP. { A = sql_expr_subquery(pParse, SQL_E_EXISTS, X, &T); }

expr(A) ::= CASE(T) case_operand(X) case_exprlist(Y) case_else(Z) END. {
    A = sql_expr_case(pParse, X, Y, Z, &T);
}
%type case_exprlist {sql_expr_list *}
case_exprlist(A) ::= case_exprlist(L) WHEN expr(Y) THEN expr(Z). {
    A = sql_expr_list_append(pParse, sql_expr_list_append(pParse, L, Y), Z);
}
case_exprlist(A) ::= WHEN expr(Y) THEN expr(Z). {
    A = sql_expr_list_append(pParse, sql_expr_list_append(pParse, NULL, Y), Z);
}
%type case_else {sql_expr *}
case_else(A) ::= ELSE expr(X). { A = X; }
case_else(A) ::= . { A = NULL; }
%type case_operand {sql_expr *}
case_operand(A) ::= expr(X). { A = X; }
case_operand(A) ::= . { A = NULL; }

expr(A) ::= NOT(T) expr(X). { A = sql_expr_unary(pParse, SQL_OP_NOT, X, &T); }
expr(A) ::= MINUS(T) expr(X). [UMINUS] { A = sql_expr_unary(pParse, SQL_OP_NEG, X, &T); }
expr(A) ::= PLUS(T) expr(X). [UMINUS] { A = sql_expr_unary(pParse, SQL_OP_PLUS, X, &T); }
expr(A) ::= BITNOT(T) expr(X). { A = sql_expr_unary(pParse, SQL_OP_BITNOT, X, &T); }
