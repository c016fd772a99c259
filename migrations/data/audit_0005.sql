-- Frozen with migration 0005_edits: history, never edited. The live definitions are in
-- geo/*/sql/*.sql.
-- rm_audit as 0005 created it; 0009's downgrade restores it.
CREATE OR REPLACE FUNCTION rm_audit() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    pk text := coalesce(TG_ARGV[0], 'id');
    actor text := coalesce(nullif(current_setting('rm.actor', true), ''), session_user::text);
    uid bigint := nullif(current_setting('rm.user_id', true), '')::bigint;
BEGIN
    IF TG_OP = 'INSERT' THEN
        EXECUTE format(
            'INSERT INTO audit_log (table_name, row_id, op, actor, user_id, before, after)'
            ' SELECT $1, n.%1$I::text, ''INSERT'', $2, $3, NULL, to_jsonb(n) FROM new_rows n'
            ' ORDER BY n.%1$I', pk)
        USING TG_TABLE_NAME, actor, uid;
    ELSIF TG_OP = 'UPDATE' THEN
        EXECUTE format(
            'INSERT INTO audit_log (table_name, row_id, op, actor, user_id, before, after)'
            ' SELECT $1, n.%1$I::text, ''UPDATE'', $2, $3, to_jsonb(o), to_jsonb(n)'
            ' FROM new_rows n JOIN old_rows o ON o.%1$I = n.%1$I'
            ' WHERE to_jsonb(o) IS DISTINCT FROM to_jsonb(n) ORDER BY n.%1$I', pk)
        USING TG_TABLE_NAME, actor, uid;
    ELSE
        EXECUTE format(
            'INSERT INTO audit_log (table_name, row_id, op, actor, user_id, before, after)'
            ' SELECT $1, o.%1$I::text, ''DELETE'', $2, $3, to_jsonb(o), NULL FROM old_rows o'
            ' ORDER BY o.%1$I', pk)
        USING TG_TABLE_NAME, actor, uid;
    END IF;
    RETURN NULL;
END $$;
