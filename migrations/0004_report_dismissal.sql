-- 0004: a moderator may dismiss a report judged baseless (command `dismiss`), with a reason.

-- outcome takes "dismissed" besides warn | mute | kick | ban; resolved_by and resolved_at say who and
-- when as for a case's resolution. The reason is the moderator's, kept with the report (a case's
-- reason is kept in the case): NULL for reports resolved by a case, or dismissed without one.
ALTER TABLE reports ADD COLUMN resolution_reason TEXT;
