-- Written by orm for sqlite. Operations:
--   drop table todo_items (its rows are lost)
--   drop table todo_lists (its rows are lost)
-- WARNING: this script drops data (see above).
-- orm runs it with foreign keys off, in one transaction, and checks the keys before committing.

DROP TABLE "todo_items";

DROP TABLE "todo_lists";
