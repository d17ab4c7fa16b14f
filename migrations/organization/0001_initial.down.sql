DROP TABLE organization;
DROP TABLE organization_organizationtype;
