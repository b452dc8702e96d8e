-- 0001: communities, members, cases, case actions, strikes, reversals, notes.
--
-- Conventions (kept by bot/storage, the only code that writes here):
-- * Every time is TEXT, ISO 8601 in UTC with microseconds ("2025-01-02T03:04:05.000000+00:00"), so
--   string comparison is time comparison and the file stays readable with the sqlite3 shell.
-- * Platform ids are TEXT and always qualified by their platform: a Telegram chat id and a Discord
--   guild id can never be confused, because members hang off a community row that names its platform.
-- * JSON columns hold lists/objects written by the storage layer; SQL never looks inside them.
-- The version table (schema_version) is created and filled by bot/storage/migrate.py.

-- A Discord guild, a Telegram group, or the console playground.
CREATE TABLE communities (
    id          INTEGER PRIMARY KEY,
    platform    TEXT NOT NULL CHECK (platform IN ('discord', 'telegram', 'console')),
    platform_id TEXT NOT NULL,                 -- guild id / chat id as the platform writes it
    name        TEXT NOT NULL DEFAULT '',
    created_at  TEXT NOT NULL,
    UNIQUE (platform, platform_id)
);

-- A user as a member of one community. first_seen stands in for account age on Telegram, which does
-- not tell bots when an account was made.
CREATE TABLE members (
    id           INTEGER PRIMARY KEY,
    community_id INTEGER NOT NULL REFERENCES communities (id) ON DELETE CASCADE,
    user_id      TEXT NOT NULL,                -- platform user id
    name         TEXT NOT NULL DEFAULT '',
    username     TEXT,
    first_seen   TEXT NOT NULL,
    joined_at    TEXT,                         -- last join seen (MemberJoin), else the platform's value
    UNIQUE (community_id, user_id)
);

-- One moderation event: what the rules or a moderator decided about a member, kept for the record.
CREATE TABLE cases (
    id             INTEGER PRIMARY KEY,
    community_id   INTEGER NOT NULL REFERENCES communities (id) ON DELETE CASCADE,
    member_id      INTEGER NOT NULL REFERENCES members (id) ON DELETE CASCADE,  -- the target
    source         TEXT NOT NULL CHECK (source IN ('rules', 'moderator')),
    rule_ids       TEXT NOT NULL DEFAULT '[]', -- JSON list of rule ids that fired (source = rules)
    moderator_id   TEXT,                       -- platform user id (source = moderator)
    moderator_name TEXT,
    shadow         INTEGER NOT NULL DEFAULT 0, -- only shadow rules fired: recorded, nothing visible done
    sanction       TEXT,                       -- warn | mute | kick | ban | NULL (delete/strike only)
    reason         TEXT NOT NULL DEFAULT '',
    channel_id     TEXT,
    message_id     TEXT,
    link           TEXT,                       -- URL of the message on its platform
    message_text   TEXT,                       -- erased after privacy.keep_message_text (case stays)
    normalized     TEXT,                       -- normalized text the rules saw (erased with the text)
    evidence       TEXT,                       -- JSON list of matches {rule, condition, span, matched}
    strikes        INTEGER NOT NULL DEFAULT 0, -- strikes this case added
    strikes_after  INTEGER NOT NULL DEFAULT 0, -- member's active strikes once this case counted
    ladder_step    INTEGER,                    -- the ladder threshold crossed, if any
    created_at     TEXT NOT NULL,
    expires_at     TEXT,                       -- end of a timed mute/ban
    pardoned_at    TEXT,
    pardoned_by    TEXT,
    pardon_reason  TEXT,
    text_erased_at TEXT
);
CREATE INDEX cases_member ON cases (member_id, created_at);
CREATE INDEX cases_community ON cases (community_id, created_at);
CREATE INDEX cases_text_kept ON cases (created_at) WHERE message_text IS NOT NULL;

-- Each platform call a case asked for, recorded before it is made (intent first), then marked.
CREATE TABLE case_actions (
    id         INTEGER PRIMARY KEY,
    case_id    INTEGER NOT NULL REFERENCES cases (id) ON DELETE CASCADE,
    seq        INTEGER NOT NULL,               -- order within the case (delete before mute...)
    kind       TEXT NOT NULL,                  -- delete | warn | mute | kick | ban | reply | alert | log | unmute | unban
    params     TEXT NOT NULL DEFAULT '{}',     -- JSON: everything needed to redo the call after a crash
    status     TEXT NOT NULL DEFAULT 'pending'
               CHECK (status IN ('pending', 'done', 'failed', 'refused')),
    error      TEXT,                           -- the platform's error (kind: message) when failed/refused
    attempts   INTEGER NOT NULL DEFAULT 0,
    updated_at TEXT NOT NULL,
    UNIQUE (case_id, seq)
);
CREATE INDEX case_actions_pending ON case_actions (status) WHERE status = 'pending';

-- Strikes a case gave a member. Active = not expired at `now` and not pardoned.
CREATE TABLE strikes (
    id          INTEGER PRIMARY KEY,
    case_id     INTEGER NOT NULL REFERENCES cases (id) ON DELETE CASCADE,
    member_id   INTEGER NOT NULL REFERENCES members (id) ON DELETE CASCADE,
    count       INTEGER NOT NULL CHECK (count > 0),
    created_at  TEXT NOT NULL,
    expires_at  TEXT,                          -- NULL: never expires (no escalation.strikes_expire)
    pardoned_at TEXT
);
CREATE INDEX strikes_member ON strikes (member_id, expires_at);

-- Reversals to apply later (unmute, unban): the database is the scheduler's queue.
CREATE TABLE reversals (
    id           INTEGER PRIMARY KEY,
    case_id      INTEGER REFERENCES cases (id) ON DELETE SET NULL,
    community_id INTEGER NOT NULL REFERENCES communities (id) ON DELETE CASCADE,
    member_id    INTEGER NOT NULL REFERENCES members (id) ON DELETE CASCADE,
    kind         TEXT NOT NULL CHECK (kind IN ('unmute', 'unban')),
    due_at       TEXT NOT NULL,
    status       TEXT NOT NULL DEFAULT 'scheduled'
                 CHECK (status IN ('scheduled', 'done', 'failed', 'cancelled')),
    error        TEXT,
    attempts     INTEGER NOT NULL DEFAULT 0,
    updated_at   TEXT NOT NULL
);
CREATE INDEX reversals_due ON reversals (due_at) WHERE status = 'scheduled';

-- Moderator notes on members.
CREATE TABLE notes (
    id          INTEGER PRIMARY KEY,
    member_id   INTEGER NOT NULL REFERENCES members (id) ON DELETE CASCADE,
    author_id   TEXT NOT NULL,
    author_name TEXT NOT NULL DEFAULT '',
    text        TEXT NOT NULL,
    created_at  TEXT NOT NULL
);
CREATE INDEX notes_member ON notes (member_id, created_at);
