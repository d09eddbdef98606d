-- Schema version 11: issue events by receipt time. The measures export lists the steps of a period received
-- well after their claimed time (补录); without this index that query read every event of every issue of the
-- area (a county's 360k events for a quarter's export), with it only the events received in the period.
-- FROZEN once released: never edit; add a new numbered file instead.
CREATE INDEX issue_events_received ON issue_events(received_at_ms);
