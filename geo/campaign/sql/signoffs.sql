-- Audit and county scope of sign-offs (验收销号): the same statement triggers as every other
-- edited table (rm_attach_edit_triggers, geo/kernel/sql/audit.sql), kept here because the
-- table belongs to the campaign package.
CREATE OR REPLACE TRIGGER task_signoffs_audit_del AFTER DELETE ON public.task_signoffs
    REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION rm_audit('id');
CREATE OR REPLACE TRIGGER task_signoffs_audit_ins AFTER INSERT ON public.task_signoffs
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION rm_audit('id');
CREATE OR REPLACE TRIGGER task_signoffs_audit_upd AFTER UPDATE ON public.task_signoffs
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION rm_audit('id');
CREATE OR REPLACE TRIGGER task_signoffs_scope_del AFTER DELETE ON public.task_signoffs
    REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION rm_enforce_region_scope();
CREATE OR REPLACE TRIGGER task_signoffs_scope_ins AFTER INSERT ON public.task_signoffs
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION rm_enforce_region_scope();
CREATE OR REPLACE TRIGGER task_signoffs_scope_upd AFTER UPDATE ON public.task_signoffs
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION rm_enforce_region_scope();
