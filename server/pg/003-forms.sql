-- Schema version 3: questionnaires and checklists (问卷, 排查表; issue #15), as server/sql/010_forms.sql: each
-- form version immutable once stored, its target subtree and retirement; each accepted response with its
-- answers (JSON) and the path it is about.
-- FROZEN once released: add a new numbered file instead.
CREATE TABLE forms (
    form_id         TEXT NOT NULL,
    version         BIGINT NOT NULL,
    title           TEXT NOT NULL,
    def_json        TEXT NOT NULL,
    target_path     TEXT COLLATE "C" NOT NULL,
    published_at_ms BIGINT NOT NULL,
    retired_at_ms   BIGINT,
    PRIMARY KEY (form_id, version)
);

CREATE TABLE form_responses (
    response_id     TEXT PRIMARY KEY,
    form_id         TEXT NOT NULL,
    form_version    BIGINT NOT NULL,
    respondent_id   TEXT NOT NULL,
    node_id         TEXT NOT NULL,
    household_id    TEXT,
    visit_id        TEXT,
    path            TEXT COLLATE "C" NOT NULL,
    started_at_ms   BIGINT NOT NULL,
    submitted_at_ms BIGINT NOT NULL,
    received_at_ms  BIGINT NOT NULL,
    answers_json    TEXT NOT NULL,
    FOREIGN KEY (form_id, form_version) REFERENCES forms(form_id, version)
);
CREATE INDEX form_responses_form ON form_responses(form_id, form_version, path);
