CREATE TABLE counter_items (id int PRIMARY KEY, label text NOT NULL, n bigint NOT NULL DEFAULT 0);
