-- Run once by the postgres image (docker-entrypoint-initdb.d) when its data directory is
-- empty, as POSTGRES_USER (tideover) in POSTGRES_DB (tideover). Mirrors the provisioning in
-- deploy/postgres/postgres.sh: one schema per service, owned by the tideover role.
-- (Each service also runs CREATE SCHEMA IF NOT EXISTS for its own schema before migrating.)
CREATE SCHEMA IF NOT EXISTS overdue_detection AUTHORIZATION tideover;
CREATE SCHEMA IF NOT EXISTS notification AUTHORIZATION tideover;
CREATE SCHEMA IF NOT EXISTS negotiation_intake AUTHORIZATION tideover;
CREATE SCHEMA IF NOT EXISTS plan_calculation AUTHORIZATION tideover;
CREATE SCHEMA IF NOT EXISTS repayment_tracking AUTHORIZATION tideover;
CREATE SCHEMA IF NOT EXISTS scheduler AUTHORIZATION tideover;
