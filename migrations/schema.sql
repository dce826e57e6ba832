-- The schema the migrations make at version 1, as SQLite stores it, bookkeeping tables
-- (onsendo_meta, onsendo_migrations) left out. Written by `cargo xtask database migrate`,
-- `rollback`, `new` and `renumber`; a test checks it against the migrations. Do not edit.
-- built from: xxh3-128:40f54e84f184718ae3ed880983acfa7a

CREATE TABLE locations (
    id          INTEGER PRIMARY KEY,
    name        TEXT NOT NULL UNIQUE CHECK (length(trim(name)) > 0),
    latitude    REAL CHECK (latitude BETWEEN -90 AND 90),
    longitude   REAL CHECK (longitude BETWEEN -180 AND 180),
    description TEXT,
    created_at  TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now'))
);

CREATE TABLE onsens (
    id             INTEGER PRIMARY KEY,
    ban_number     INTEGER NOT NULL UNIQUE CHECK (ban_number > 0),
    name           TEXT NOT NULL CHECK (length(trim(name)) > 0),
    region         TEXT,
    address        TEXT,
    latitude       REAL CHECK (latitude BETWEEN -90 AND 90),
    longitude      REAL CHECK (longitude BETWEEN -180 AND 180),
    spring_quality TEXT,
    description    TEXT
);

CREATE INDEX onsens_by_region ON onsens (region);

CREATE TABLE visits (
    id              INTEGER PRIMARY KEY,
    onsen_id        INTEGER NOT NULL REFERENCES onsens (id) ON DELETE RESTRICT,
    visited_at      TEXT NOT NULL CHECK (visited_at GLOB '[0-9][0-9][0-9][0-9]-[0-1][0-9]-[0-3][0-9]'),
    entry_fee_yen   INTEGER CHECK (entry_fee_yen >= 0),
    stay_minutes    INTEGER CHECK (stay_minutes > 0),
    personal_rating INTEGER NOT NULL CHECK (personal_rating BETWEEN 1 AND 10),
    notes           TEXT,
    created_at      TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now'))
);

CREATE INDEX visits_by_date ON visits (visited_at);

CREATE INDEX visits_by_onsen ON visits (onsen_id, visited_at);
