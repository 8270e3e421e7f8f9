-- `drift sql`: the temporary view {table} over {source}, an Arrow dataset of this workspace's shards
-- registered on the connection (read by Arrow, so DuckDB itself may open no file). Temporary views
-- resolve before the stored ones; the warehouse is not written.
create or replace temp view {table} as
select * from {source};
