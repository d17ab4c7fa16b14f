-- Organizations and their types.
CREATE TABLE organization_organizationtype (
    id serial PRIMARY KEY,
    name text NOT NULL UNIQUE
);

CREATE TABLE organization (
    id bigserial PRIMARY KEY,
    name text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now()
);
