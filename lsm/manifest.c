/* lsm/manifest.c — see manifest.h. */
#include "lsm/manifest.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/status.h"

/* Points CURRENT at MANIFEST-manifest_number. *renamed is set once the rename happened: from then
 * on CURRENT may name the new manifest (durably or not), so the caller must keep that file even
 * when this fails. */
static int set_current(version_set *vs, uint64_t manifest_number, int *renamed)
{
    char content[64];
    int len =
        snprintf(content, sizeof content, "MANIFEST-%06llu\n", (unsigned long long)manifest_number);
    char *tmp = db_filename(vs->dir, "tmp", manifest_number);
    char *cur = db_filename(vs->dir, "CURRENT", 0);
    int rc = STRATA_NOMEM;
    if (!tmp || !cur) goto out;
    rc = env_write_file_sync(vs->env, tmp, content, (size_t)len);
    if (rc) goto out;
    rc = vs->env->rename(vs->env, tmp, cur);
    if (rc) {
        vs->env->unlink(vs->env, tmp);
        goto out;
    }
    *renamed = 1;
    rc = vs->env->sync_dir(vs->env, vs->dir);
out:
    free(tmp);
    free(cur);
    return rc;
}

int vset_new_manifest(version_set *vs)
{
    version_edit e;
    ve_init(&e);
    version *v = vs->current;
    int rc = STRATA_OK;
    for (int l = 0; l < STRATA_KV_LEVELS && !rc; l++)
        for (size_t i = 0; i < v->nfiles[l] && !rc; i++) rc = ve_add_file(&e, l, v->files[l][i]);
    uint64_t num = vset_new_file_number(vs);
    e.has_log_number = 1;
    e.log_number = vs->log_number;
    e.has_next_file = 1;
    e.next_file = vs->next_file;
    e.has_last_seq = 1;
    e.last_seq = vs->last_seq;
    uint8_t *rec = NULL;
    size_t n = 0;
    char *path = db_filename(vs->dir, "MANIFEST", num);
    wal_writer *w = NULL;
    int renamed = 0;
    if (!rc && !path) rc = st_error(STRATA_NOMEM, "manifest: out of memory");
    if (!rc) rc = ve_encode(&e, &rec, &n);
    /* wal_writer_open syncs the directory: the new manifest's entry is durable before CURRENT
     * can name it */
    if (!rc) rc = wal_writer_open(vs->env, path, &w);
    if (!rc) rc = wal_writer_add(w, rec, n, 1);
    if (!rc) rc = set_current(vs, num, &renamed);
    if (rc) {
        if (w) {
            wal_writer_close(w);
            /* once CURRENT may name it, the new manifest is the database's: keep it */
            if (!renamed) vs->env->unlink(vs->env, path);
        }
    } else {
        if (vs->manifest) wal_writer_close(vs->manifest);
        vs->manifest = w;
        vs->manifest_number = num;
    }
    free(rec);
    free(path);
    ve_clear(&e);
    return rc;
}

int vset_log_and_apply(version_set *vs, version_edit *e)
{
    if (!e->has_log_number) {
        e->has_log_number = 1;
        e->log_number = vs->log_number;
    }
    if (!e->has_last_seq) {
        e->has_last_seq = 1;
        e->last_seq = vs->last_seq;
    }
    version *v;
    int rc = STRATA_OK;
    if (!vs->manifest) rc = vset_new_manifest(vs); /* the last append failed: start afresh */
    e->has_next_file = 1;
    e->next_file = vs->next_file;
    if (!rc) rc = vset_apply(vs, e, &v);
    if (rc) return rc;
    uint8_t *rec;
    size_t n;
    /* files created since the last edit (SSTs, a WAL) must survive a power loss once the edit
     * that names them is durable: make their directory entries durable first */
    rc = vs->env->sync_dir(vs->env, vs->dir);
    if (!rc) rc = ve_encode(e, &rec, &n);
    if (!rc) {
        rc = wal_writer_add(vs->manifest, rec, n, 1);
        free(rec);
    }
    if (rc) {
        /* the manifest may end in a partial record: never append after it */
        wal_writer_close(vs->manifest);
        vs->manifest = NULL;
        v->refs = 1;
        v->prev = v->next = v; /* not in the list: unref frees it */
        version_unref(v);
        return rc;
    }
    vs->log_number = e->log_number;
    if (e->last_seq > vs->last_seq) vs->last_seq = e->last_seq;
    vset_install(vs, v);
    return STRATA_OK;
}

int vset_recover(version_set *vs)
{
    char *cur = db_filename(vs->dir, "CURRENT", 0);
    uint8_t *data = NULL;
    size_t n = 0;
    if (!cur) return st_error(STRATA_NOMEM, "manifest: out of memory");
    if (!vs->env->exists(vs->env, cur)) {
        free(cur);
        return st_error(STRATA_NOTFOUND, "%s/CURRENT: no database here", vs->dir);
    }
    int rc = env_read_file(vs->env, cur, &data, &n);
    free(cur);
    if (rc) return rc;
    uint64_t num = 0;
    char name[64];
    if (n < 11 || n >= sizeof name || data[n - 1] != '\n') {
        free(data);
        return st_error(STRATA_CORRUPT, "%s/CURRENT: malformed (%zu bytes)", vs->dir, n);
    }
    memcpy(name, data, n - 1);
    name[n - 1] = 0;
    free(data);
    if (db_parse_filename(name, &num) != DBF_MANIFEST)
        return st_error(STRATA_CORRUPT, "%s/CURRENT: does not name a manifest", vs->dir);
    char *path = db_filename(vs->dir, "MANIFEST", num);
    wal_reader *r = NULL;
    rc = wal_reader_open(vs->env, path, &r);
    if (rc == STRATA_NOTFOUND)
        rc = st_error(STRATA_CORRUPT, "%s: named by CURRENT but missing", path);
    if (rc) {
        free(path);
        return rc;
    }
    int have_next = 0, have_log = 0, have_seq = 0, records = 0;
    for (;;) {
        const uint8_t *rec;
        size_t len;
        rc = wal_reader_next(r, &rec, &len);
        if (rc == STRATA_DONE) {
            rc = STRATA_OK;
            break;
        }
        if (rc) break;
        version_edit e;
        rc = ve_decode(&e, rec, len);
        if (rc) {
            rc = st_error(rc, "%s: record %d: %s", path, records, st_errmsg());
            break;
        }
        version *v;
        rc = vset_apply(vs, &e, &v);
        if (rc) {
            ve_clear(&e);
            break;
        }
        vset_install(vs, v);
        if (e.has_log_number) {
            vs->log_number = e.log_number;
            have_log = 1;
        }
        if (e.has_next_file) {
            vs->next_file = e.next_file;
            have_next = 1;
        }
        if (e.has_last_seq) {
            vs->last_seq = e.last_seq;
            have_seq = 1;
        }
        records++;
        ve_clear(&e);
    }
    wal_reader_close(r);
    if (!rc && (!have_next || !have_log || !have_seq))
        rc =
            st_error(STRATA_CORRUPT, "%s: no complete snapshot record (%d records)", path, records);
    if (!rc) {
        /* every file number ever seen must stay below next_file */
        version *v = vs->current;
        for (int l = 0; l < STRATA_KV_LEVELS; l++)
            for (size_t i = 0; i < v->nfiles[l]; i++)
                if (v->files[l][i]->number >= vs->next_file)
                    vs->next_file = v->files[l][i]->number + 1;
        if (num >= vs->next_file) vs->next_file = num + 1;
        vs->manifest_number = num;
    }
    free(path);
    return rc;
}
