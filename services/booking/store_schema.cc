// The booking service's tables, as a list of migrations: applied in order,
// never edited once released (the partial indexes' numbers are the
// domain's BookingState and BookingScope values, domain_types.h).

#include "common/sql/migrations.h"
#include "services/booking/store_sql.h"

namespace training::booking {

std::vector<sql::Migration> BookingMigrations() {
  return {{1, "courses, inventory, bookings, substitutions, requests",
           sql::PortableDdl(R"sql(
CREATE TABLE courses (
  course TEXT PRIMARY KEY,
  published INTEGER NOT NULL,
  eligible TEXT NOT NULL,
  late_window_us BIGINT NOT NULL,
  source_us BIGINT NOT NULL
);
CREATE TABLE inventory (
  session TEXT PRIMARY KEY,
  course TEXT NOT NULL,
  scheduled INTEGER NOT NULL,
  capacity INTEGER NOT NULL,
  confirmed INTEGER NOT NULL,
  waiting INTEGER NOT NULL,
  open_us BIGINT NOT NULL,
  close_us BIGINT NOT NULL,
  start_us BIGINT NOT NULL,
  end_us BIGINT NOT NULL,
  source_us BIGINT NOT NULL,
  version BIGINT NOT NULL
);
CREATE TABLE bookings (
  seq SERIAL_KEY,
  reference TEXT NOT NULL UNIQUE,
  session TEXT,
  course TEXT NOT NULL,
  scope INTEGER NOT NULL,
  delivery_preference INTEGER NOT NULL,
  state INTEGER NOT NULL,
  display_name TEXT NOT NULL,
  email TEXT NOT NULL,
  email_key TEXT NOT NULL,
  phone TEXT NOT NULL,
  organisation TEXT NOT NULL,
  agency_type INTEGER NOT NULL,
  job_role TEXT NOT NULL,
  line_manager_email TEXT NOT NULL,
  access_needs TEXT NOT NULL,
  booked_by_org TEXT NOT NULL,
  token_kid TEXT NOT NULL,
  create_us BIGINT NOT NULL,
  confirm_us BIGINT,
  update_us BIGINT NOT NULL,
  cancel_us BIGINT,
  cancel_cause INTEGER NOT NULL,
  cancel_reason TEXT NOT NULL,
  cancel_late INTEGER NOT NULL,
  attendance INTEGER NOT NULL,
  version BIGINT NOT NULL
);
-- One active booking per address per session, whatever the code above does.
CREATE UNIQUE INDEX bookings_one_active ON bookings (session, email_key)
  WHERE state IN (1, 2, 3);
CREATE INDEX bookings_by_session ON bookings (session, state, seq);
CREATE INDEX bookings_by_org ON bookings (booked_by_org, seq);
CREATE TABLE substitutions (
  reference TEXT NOT NULL,
  substitute_us BIGINT NOT NULL,
  actor TEXT NOT NULL
);
CREATE INDEX substitutions_by_booking ON substitutions (reference);
CREATE TABLE previous_contacts (
  contact_id TEXT PRIMARY KEY,
  reference TEXT NOT NULL,
  display_name TEXT NOT NULL,
  email TEXT NOT NULL
);
CREATE INDEX previous_contacts_by_booking ON previous_contacts (reference);
CREATE TABLE requests (
  request_id TEXT PRIMARY KEY,
  fingerprint TEXT NOT NULL,
  reference TEXT NOT NULL,
  create_us BIGINT NOT NULL
);
CREATE INDEX requests_by_age ON requests (create_us);
)sql")},
          {2, "attendance time; finding people by address; sessions by start",
           sql::PortableDdl(R"sql(
ALTER TABLE bookings ADD COLUMN attendance_us BIGINT;
ALTER TABLE previous_contacts ADD COLUMN email_key TEXT NOT NULL DEFAULT '';
UPDATE previous_contacts SET email_key = lower(email);
CREATE INDEX bookings_by_email ON bookings (email_key);
CREATE INDEX previous_contacts_by_email ON previous_contacts (email_key);
CREATE INDEX inventory_by_start ON inventory (start_us);
)sql")},
          {3, "offers, any-date entries, agency holds", sql::PortableDdl(R"sql(
ALTER TABLE courses ADD COLUMN offer_mode INTEGER NOT NULL DEFAULT 0;
ALTER TABLE courses ADD COLUMN hold_us BIGINT NOT NULL DEFAULT 172800000000;
ALTER TABLE courses ADD COLUMN min_hold_us BIGINT NOT NULL DEFAULT 7200000000;
ALTER TABLE inventory ADD COLUMN offers INTEGER NOT NULL DEFAULT 0;
ALTER TABLE inventory ADD COLUMN delivery_mode INTEGER NOT NULL DEFAULT 0;
ALTER TABLE inventory ADD COLUMN holds TEXT NOT NULL DEFAULT '';
ALTER TABLE inventory ADD COLUMN release_due_us BIGINT;
ALTER TABLE bookings ADD COLUMN offer_us BIGINT;
ALTER TABLE bookings ADD COLUMN expire_us BIGINT;
ALTER TABLE bookings ADD COLUMN lease_us BIGINT;
CREATE INDEX bookings_due_offers ON bookings (expire_us) WHERE state = 3;
CREATE INDEX bookings_any_date ON bookings (course, state, seq)
  WHERE scope = 2;
-- One waiting any-date entry per address per course.
CREATE UNIQUE INDEX bookings_one_any_date ON bookings (course, email_key)
  WHERE scope = 2 AND state = 2;
CREATE INDEX inventory_release_due ON inventory (release_due_us);
)sql")},
          {4, "finding people by address through their sessions",
           sql::PortableDdl(R"sql(
-- An index on the address alone puts each new booking at a random place,
-- and a batch of 200 bookings then writes 200 scattered index pages; with
-- the session first, a batch writes a few.
CREATE INDEX bookings_by_session_email ON bookings (session, email_key);
DROP INDEX bookings_by_email;
)sql")},
          {5, "finding people by address without an index entry per booking",
           sql::PortableDdl(R"sql(
-- Migration 4's index cost every booking one more index entry (1 of 6).
-- Active bookings are found through bookings_one_active, on the same
-- columns; the others through an index written only when a booking stops
-- being active, which is rare and changes the row anyway.
CREATE INDEX bookings_inactive_by_email ON bookings (email_key)
  WHERE state NOT IN (1, 2, 3);
DROP INDEX bookings_by_session_email;
)sql")},
          {6,
           "identifiers compared byte by byte; agency index without public "
           "bookings",
           {.sqlite = R"sql(
-- SQLite compares text byte by byte already (BINARY).
CREATE INDEX bookings_by_agency ON bookings (booked_by_org, seq)
  WHERE booked_by_org <> '';
DROP INDEX bookings_by_org;
)sql",
            .postgres = R"sql(
-- Identifiers are ASCII and compared for equality or a stable order, never
-- for people: the "C" collation compares bytes, where the database's
-- default (C.UTF-8, en_GB.UTF-8, ...) calls strcoll for every comparison of
-- every index search and insert. The indexes on these columns are rebuilt.
ALTER TABLE courses ALTER COLUMN course TYPE TEXT COLLATE "C";
ALTER TABLE inventory ALTER COLUMN session TYPE TEXT COLLATE "C",
  ALTER COLUMN course TYPE TEXT COLLATE "C";
ALTER TABLE bookings ALTER COLUMN reference TYPE TEXT COLLATE "C",
  ALTER COLUMN session TYPE TEXT COLLATE "C",
  ALTER COLUMN course TYPE TEXT COLLATE "C",
  ALTER COLUMN email_key TYPE TEXT COLLATE "C",
  ALTER COLUMN booked_by_org TYPE TEXT COLLATE "C";
ALTER TABLE substitutions ALTER COLUMN reference TYPE TEXT COLLATE "C";
ALTER TABLE previous_contacts ALTER COLUMN contact_id TYPE TEXT COLLATE "C",
  ALTER COLUMN reference TYPE TEXT COLLATE "C",
  ALTER COLUMN email_key TYPE TEXT COLLATE "C";
ALTER TABLE requests ALTER COLUMN request_id TYPE TEXT COLLATE "C";
-- Bookings from the public page have no organisation: they need no entry
-- in the index agencies list their own bookings by.
CREATE INDEX bookings_by_agency ON bookings (booked_by_org, seq)
  WHERE booked_by_org <> '';
DROP INDEX bookings_by_org;
)sql"}},
          {7, "manage tokens re-keyed when a place passes to a colleague",
           sql::PortableDdl(R"sql(
ALTER TABLE bookings ADD COLUMN token_version BIGINT NOT NULL DEFAULT 1;
)sql")}};
}

}  // namespace training::booking
