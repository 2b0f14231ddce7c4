CREATE TABLE broken_half (id int PRIMARY KEY);
CREATE TABLEE broken_typo (id int);
