-- Applied moves of a household's point (protocol rules::point_moves): who moved it, the point before the move,
-- and when the server applied it (its own clock, so a backdated correction cannot leave the grace window).
-- A visit by the mover within the grace period is graded against the point before their move.
CREATE TABLE household_point_moves (
    seq          INTEGER PRIMARY KEY,
    household_id TEXT NOT NULL,
    mover_id     TEXT NOT NULL,
    prev_lat     REAL,
    prev_lon     REAL,
    moved_at_ms  INTEGER NOT NULL
);
CREATE INDEX household_point_moves_household ON household_point_moves(household_id, seq);
