-- How many records import_staged holds.
select count(*) as records from import_staged;
