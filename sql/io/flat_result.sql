-- `drift sql --format csv`: the registered result with nested columns (lists, structs, maps) cast to
-- their text form, which CSV can hold. {columns}: the result's columns, quoted, cast where nested.
select {columns} from result;
