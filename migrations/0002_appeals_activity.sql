-- 0002: members' appeals of cases, and per-day activity counters for /stats.

-- An appeal a member made against one of their cases; a moderator's pardon (or refusal) resolves it.
CREATE TABLE appeals (
    id          INTEGER PRIMARY KEY,
    case_id     INTEGER NOT NULL REFERENCES cases (id) ON DELETE CASCADE,
    member_id   INTEGER NOT NULL REFERENCES members (id) ON DELETE CASCADE,
    text        TEXT NOT NULL,
    created_at  TEXT NOT NULL,
    resolved_at TEXT,
    resolved_by TEXT,
    outcome     TEXT                           -- pardoned | NULL while open
);
CREATE INDEX appeals_case ON appeals (case_id);

-- Messages seen, members joined and left, per community and UTC day ("2026-01-31").
CREATE TABLE activity (
    community_id INTEGER NOT NULL REFERENCES communities (id) ON DELETE CASCADE,
    day          TEXT NOT NULL,
    messages     INTEGER NOT NULL DEFAULT 0,
    joined       INTEGER NOT NULL DEFAULT 0,
    left_count   INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (community_id, day)
);
