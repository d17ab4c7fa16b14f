-- stagegate:depends-on organization/0002_organization_type
-- Members belong to an organization.
CREATE TABLE membership_member (
    id bigserial PRIMARY KEY,
    organization_id bigint NOT NULL REFERENCES organization (id) ON DELETE CASCADE,
    email text NOT NULL,
    role text NOT NULL DEFAULT 'member' CHECK (role IN ('owner', 'admin', 'member')),
    UNIQUE (organization_id, email)
);
