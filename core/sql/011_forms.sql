-- Schema version 11: questionnaires and checklists (访谈问卷, 排查表). The county's form definitions as the
-- sync feed delivered them (one row per form version, its definition as JSON; a retired version stays so the
-- answers of an old one still read), the drafts being filled in (草稿: one row per draft, one row per answer
-- so an answer is one small write and a draft with a long repeat opens with one indexed scan), and the
-- responses submitted on this phone or pulled in scope (sent through the outbox like any operation, in the same transaction).
CREATE TABLE forms (
    form_id        TEXT NOT NULL,
    version        INTEGER NOT NULL,
    title          TEXT NOT NULL,
    definition     TEXT NOT NULL,
    retired        INTEGER NOT NULL DEFAULT 0,
    received_at_ms INTEGER NOT NULL,
    PRIMARY KEY (form_id, version)
);

CREATE TABLE form_drafts (
    id            TEXT PRIMARY KEY,
    form_id       TEXT NOT NULL,
    version       INTEGER NOT NULL,
    user_id       TEXT NOT NULL,
    -- What the form is about: a household (and its group), or a node surveyed (a village), or the user's node.
    node_id       TEXT NOT NULL,
    household_id  TEXT,
    visit_id      TEXT,
    page          INTEGER NOT NULL DEFAULT 0,
    -- Set once a submit was refused: missing required answers are shown from then on.
    show_missing  INTEGER NOT NULL DEFAULT 0,
    started_at_ms INTEGER NOT NULL,
    updated_at_ms INTEGER NOT NULL
);
CREATE INDEX form_drafts_user ON form_drafts(user_id, updated_at_ms);

-- One answer of a draft: `path` names the question and, inside repeats, the instance (`members[2]/age`);
-- `value` is the answer as JSON. A repeat's instance count is a row of its own (`path` = the repeat, `#`).
CREATE TABLE form_draft_answers (
    draft_id TEXT NOT NULL REFERENCES form_drafts(id) ON DELETE CASCADE,
    path     TEXT NOT NULL,
    value    TEXT NOT NULL,
    PRIMARY KEY (draft_id, path)
) WITHOUT ROWID;

CREATE TABLE form_responses (
    id              TEXT PRIMARY KEY,
    form_id         TEXT NOT NULL,
    version         INTEGER NOT NULL,
    user_id         TEXT NOT NULL,
    node_id         TEXT NOT NULL,
    household_id    TEXT,
    visit_id        TEXT,
    answers         TEXT NOT NULL,
    submitted_at_ms INTEGER NOT NULL
);
CREATE INDEX form_responses_household ON form_responses(household_id, submitted_at_ms);
