-- merge_flags(list of flag strings) → the distinct letters, sorted, or NULL: the flags of a sum are its parts'.
CREATE OR REPLACE TEMP MACRO merge_flags(flags) AS
    nullif(array_to_string(list_sort(list_distinct(flatten(
        list_transform(flags, f -> string_split(coalesce(f, ''), ''))))), ''), '');
