-- Schema version 3: the county's settings (县级配置: on-site radius and fix age, cadence, time limits,
-- duplicate and acknowledgement windows) as one JSON document, and its yearly holiday calendars
-- (节假日安排, one row per year, the format of protocol/calendars/2026.json) imported with
-- `linkage-server calendar import`. Both reach the phones through the bundle and the change feed.
CREATE TABLE county_settings (
    id            INTEGER PRIMARY KEY CHECK (id = 1),
    config_json   TEXT NOT NULL,
    updated_at_ms INTEGER NOT NULL
);

CREATE TABLE county_calendars (
    year           INTEGER PRIMARY KEY,
    file_json      TEXT NOT NULL,
    imported_at_ms INTEGER NOT NULL
);
