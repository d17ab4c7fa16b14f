DROP TABLE membership_member;
