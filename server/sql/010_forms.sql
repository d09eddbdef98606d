-- Questionnaires and checklists (问卷, 排查表; issue #15): each imported form version, immutable once stored
-- (a new version is a new row, so answers given to an old version are always read with the definition they
-- were given to), its target subtree, and when it was retired (responses to a retired version are refused);
-- and each accepted response with its answers as sent (JSON), the node/household it is about and its path
-- for scoped tabulation and export.
CREATE TABLE forms (
    form_id         TEXT NOT NULL,
    version         INTEGER NOT NULL,
    title           TEXT NOT NULL,
    def_json        TEXT NOT NULL,
    target_path     TEXT NOT NULL,
    published_at_ms INTEGER NOT NULL,
    retired_at_ms   INTEGER,
    PRIMARY KEY (form_id, version)
) WITHOUT ROWID;

CREATE TABLE form_responses (
    response_id     TEXT PRIMARY KEY,
    form_id         TEXT NOT NULL,
    form_version    INTEGER NOT NULL,
    respondent_id   TEXT NOT NULL,
    node_id         TEXT NOT NULL,
    household_id    TEXT,
    visit_id        TEXT,
    path            TEXT NOT NULL,
    started_at_ms   INTEGER NOT NULL,
    submitted_at_ms INTEGER NOT NULL,
    received_at_ms  INTEGER NOT NULL,
    answers_json    TEXT NOT NULL,
    FOREIGN KEY (form_id, form_version) REFERENCES forms(form_id, version)
) WITHOUT ROWID;
CREATE INDEX form_responses_form ON form_responses(form_id, form_version, path);
