-- Linkage phone store, schema version 4: visit-coverage aggregates (走访覆盖率), maintained by triggers in the
-- same transaction as every write to households and household_last_visit (local saves, pulls, bundle loads),
-- so the coverage screen and the measures read a few rows per villager group instead of every household.
-- FROZEN once released: never edit; add a new numbered file instead.

-- Households per villager group (and how many are the county's contact households).
CREATE TABLE group_household_counts (
    group_id        TEXT PRIMARY KEY,
    households      INTEGER NOT NULL,
    county_contacts INTEGER NOT NULL
) WITHOUT ROWID;

-- Households of a group whose last on-site visit at a level falls on a day (day = last_onsite_ms / 86400000,
-- UTC days). Coverage sums the whole days after the threshold's day and counts the threshold's own day
-- exactly from household_last_visit (index below).
CREATE TABLE group_visit_days (
    group_id        TEXT NOT NULL,
    level           TEXT NOT NULL,
    day             INTEGER NOT NULL,
    households      INTEGER NOT NULL,
    county_contacts INTEGER NOT NULL,
    PRIMARY KEY (group_id, level, day)
) WITHOUT ROWID;

CREATE INDEX household_last_visit_level ON household_last_visit(level, last_onsite_ms);

CREATE TRIGGER households_count_insert AFTER INSERT ON households BEGIN
    INSERT INTO group_household_counts (group_id, households, county_contacts) VALUES (NEW.group_id, 1, NEW.county_contact != 0)
        ON CONFLICT(group_id) DO UPDATE SET households = households + 1, county_contacts = county_contacts + (NEW.county_contact != 0);
    INSERT INTO group_visit_days (group_id, level, day, households, county_contacts)
        SELECT NEW.group_id, level, last_onsite_ms / 86400000, 1, NEW.county_contact != 0 FROM household_last_visit WHERE household_id = NEW.id
        ON CONFLICT(group_id, level, day) DO UPDATE SET households = households + 1, county_contacts = county_contacts + excluded.county_contacts;
END;

CREATE TRIGGER households_count_delete AFTER DELETE ON households BEGIN
    UPDATE group_household_counts SET households = households - 1, county_contacts = county_contacts - (OLD.county_contact != 0)
        WHERE group_id = OLD.group_id;
    UPDATE group_visit_days SET households = households - 1, county_contacts = county_contacts - (OLD.county_contact != 0)
        WHERE group_id = OLD.group_id AND (level, day) IN (SELECT level, last_onsite_ms / 86400000 FROM household_last_visit WHERE household_id = OLD.id);
END;

CREATE TRIGGER households_count_move AFTER UPDATE OF group_id, county_contact ON households
    WHEN OLD.group_id != NEW.group_id OR (OLD.county_contact != 0) != (NEW.county_contact != 0) BEGIN
    UPDATE group_household_counts SET households = households - 1, county_contacts = county_contacts - (OLD.county_contact != 0)
        WHERE group_id = OLD.group_id;
    INSERT INTO group_household_counts (group_id, households, county_contacts) VALUES (NEW.group_id, 1, NEW.county_contact != 0)
        ON CONFLICT(group_id) DO UPDATE SET households = households + 1, county_contacts = county_contacts + (NEW.county_contact != 0);
    UPDATE group_visit_days SET households = households - 1, county_contacts = county_contacts - (OLD.county_contact != 0)
        WHERE group_id = OLD.group_id AND (level, day) IN (SELECT level, last_onsite_ms / 86400000 FROM household_last_visit WHERE household_id = OLD.id);
    INSERT INTO group_visit_days (group_id, level, day, households, county_contacts)
        SELECT NEW.group_id, level, last_onsite_ms / 86400000, 1, NEW.county_contact != 0 FROM household_last_visit WHERE household_id = NEW.id
        ON CONFLICT(group_id, level, day) DO UPDATE SET households = households + 1, county_contacts = county_contacts + excluded.county_contacts;
END;

CREATE TRIGGER last_visit_count_insert AFTER INSERT ON household_last_visit BEGIN
    INSERT INTO group_visit_days (group_id, level, day, households, county_contacts)
        SELECT group_id, NEW.level, NEW.last_onsite_ms / 86400000, 1, county_contact != 0 FROM households WHERE id = NEW.household_id
        ON CONFLICT(group_id, level, day) DO UPDATE SET households = households + 1, county_contacts = county_contacts + excluded.county_contacts;
END;

CREATE TRIGGER last_visit_count_update AFTER UPDATE ON household_last_visit
    WHEN OLD.level != NEW.level OR OLD.last_onsite_ms / 86400000 != NEW.last_onsite_ms / 86400000
      OR OLD.household_id != NEW.household_id BEGIN
    UPDATE group_visit_days SET households = households - 1,
            county_contacts = county_contacts - (SELECT county_contact != 0 FROM households WHERE id = OLD.household_id)
        WHERE group_id = (SELECT group_id FROM households WHERE id = OLD.household_id) AND level = OLD.level
          AND day = OLD.last_onsite_ms / 86400000;
    INSERT INTO group_visit_days (group_id, level, day, households, county_contacts)
        SELECT group_id, NEW.level, NEW.last_onsite_ms / 86400000, 1, county_contact != 0 FROM households WHERE id = NEW.household_id
        ON CONFLICT(group_id, level, day) DO UPDATE SET households = households + 1, county_contacts = county_contacts + excluded.county_contacts;
END;

CREATE TRIGGER last_visit_count_delete AFTER DELETE ON household_last_visit BEGIN
    UPDATE group_visit_days SET households = households - 1,
            county_contacts = county_contacts - (SELECT county_contact != 0 FROM households WHERE id = OLD.household_id)
        WHERE group_id = (SELECT group_id FROM households WHERE id = OLD.household_id) AND level = OLD.level
          AND day = OLD.last_onsite_ms / 86400000;
END;

-- Backfill from the rows already stored.
INSERT INTO group_household_counts (group_id, households, county_contacts)
    SELECT group_id, count(*), sum(county_contact != 0) FROM households GROUP BY group_id;
INSERT INTO group_visit_days (group_id, level, day, households, county_contacts)
    SELECT h.group_id, lv.level, lv.last_onsite_ms / 86400000, count(*), sum(h.county_contact != 0)
    FROM household_last_visit lv JOIN households h ON h.id = lv.household_id
    GROUP BY h.group_id, lv.level, lv.last_onsite_ms / 86400000;
