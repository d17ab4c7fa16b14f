-- stagegate:allow fk-not-valid organization and organization_organizationtype are created by 0001 of the same first release, so they are empty here
-- stagegate:allow index-not-concurrent organization is created by 0001 of the same first release, so it is empty here
-- Each organization may have a type. Nullable, so the API version still
-- serving during the deploy keeps inserting rows without it.
ALTER TABLE organization
    ADD COLUMN type_id integer REFERENCES organization_organizationtype (id);

CREATE INDEX organization_type_id_idx ON organization (type_id);

INSERT INTO organization_organizationtype (name)
VALUES ('company'), ('nonprofit'), ('government');
