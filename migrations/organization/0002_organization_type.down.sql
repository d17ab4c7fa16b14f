ALTER TABLE organization DROP COLUMN type_id;
DELETE FROM organization_organizationtype WHERE name IN ('company', 'nonprofit', 'government');
