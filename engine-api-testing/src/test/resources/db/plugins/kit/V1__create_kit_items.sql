CREATE TABLE kit_items (id bigserial PRIMARY KEY, owner text NOT NULL, title text NOT NULL);
