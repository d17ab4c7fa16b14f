-- Each organization may have a type. Nullable, so the API version still
-- serving during the deploy keeps inserting rows without it.
ALTER TABLE organization
    ADD COLUMN type_id integer REFERENCES organization_organizationtype (id);

CREATE INDEX organization_type_id_idx ON organization (type_id);

INSERT INTO organization_organizationtype (name)
VALUES ('company'), ('nonprofit'), ('government');
