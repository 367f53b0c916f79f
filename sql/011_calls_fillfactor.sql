-- A call's row is written once by its first webhook and then updated by
-- each status callback (three or four more times within seconds).  With
-- room left on each page the new row versions stay on the same page and,
-- since none of those updates touches an indexed column, as heap-only
-- tuples: no index entries are written for them and the dead versions are
-- pruned in place.
ALTER TABLE calls SET (fillfactor = 80);
