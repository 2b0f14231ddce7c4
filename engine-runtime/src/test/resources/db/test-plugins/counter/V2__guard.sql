-- A published plugin table must be guarded (row policy or row-level security) or Herald refuses to boot.
ALTER TABLE counter_items ENABLE ROW LEVEL SECURITY;
