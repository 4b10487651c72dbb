-- People: the company directory learners search to find their employer. Names are matched by any part,
-- case-insensitively (ILIKE), which only a trigram index serves; pages go in name order, which the btree
-- (name, id) serves, id breaking ties between companies of the same name so a cursor never skips one.
create extension if not exists pg_trgm;
create index companies_name_trgm on companies using gin (name gin_trgm_ops);
create index companies_name on companies (name, id);
