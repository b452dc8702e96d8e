-- 0003: members' reports of messages (or of anything, by link or text), kept for the moderators.

-- A report: recorded before the log channel is told (intent first), so a dropped log post or a
-- community without a log channel loses nothing; /stats and /cases show them. A moderator's case
-- that warns, mutes, kicks or bans the reported member resolves the member's open reports.
CREATE TABLE reports (
    id             INTEGER PRIMARY KEY,
    community_id   INTEGER NOT NULL REFERENCES communities (id) ON DELETE CASCADE,
    reporter_id    INTEGER NOT NULL REFERENCES members (id) ON DELETE CASCADE,
    member_id      INTEGER REFERENCES members (id) ON DELETE CASCADE,  -- reported; NULL if unknown
    channel_id     TEXT,                       -- the reported message, when the bot knows which
    message_id     TEXT,
    link           TEXT,                       -- URL of the message (or the link the member gave)
    excerpt        TEXT NOT NULL DEFAULT '',   -- the reported message's text, cut; erased with case texts
    note           TEXT NOT NULL DEFAULT '',   -- what the reporter wrote
    created_at     TEXT NOT NULL,
    resolved_at    TEXT,
    resolved_by    TEXT,                       -- platform user id of the moderator
    outcome        TEXT,                       -- warn | mute | kick | ban (the resolving case's); NULL while open
    case_id        INTEGER REFERENCES cases (id) ON DELETE SET NULL,  -- the case that resolved it
    text_erased_at TEXT
);
CREATE INDEX reports_community ON reports (community_id, created_at);
CREATE INDEX reports_open ON reports (community_id) WHERE resolved_at IS NULL;
CREATE INDEX reports_member ON reports (member_id, created_at);
-- The reporter's recent reports (the rate limit) and the same report twice (refused, not stored).
CREATE INDEX reports_reporter ON reports (reporter_id, created_at);
CREATE UNIQUE INDEX reports_once_message ON reports (reporter_id, channel_id, message_id)
    WHERE message_id IS NOT NULL;
CREATE UNIQUE INDEX reports_once_link ON reports (reporter_id, link)
    WHERE message_id IS NULL AND link IS NOT NULL;
CREATE INDEX reports_text_kept ON reports (created_at) WHERE excerpt != '';
