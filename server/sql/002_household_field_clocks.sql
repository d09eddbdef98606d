-- Schema version 2: household edits merge field by field (last writer wins by hybrid logical clock), as on
-- the phones. A field without a row was last set by an import (older than any edit).
CREATE TABLE household_field_clocks (
    household_id TEXT NOT NULL REFERENCES households(id),
    field        TEXT NOT NULL,
    hlc          TEXT NOT NULL,
    PRIMARY KEY (household_id, field)
) WITHOUT ROWID;
