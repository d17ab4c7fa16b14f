-- stagegate:no-transaction
-- Built concurrently so that writes to organization are not blocked.
CREATE INDEX CONCURRENTLY IF NOT EXISTS organization_name_idx ON organization (lower(name));
