-- Written by orm for postgres. Operations:
--   drop foreign key todo_items.list
--   drop table todo_items (its rows are lost)
--   drop table todo_lists (its rows are lost)
-- WARNING: this script drops data (see above).

ALTER TABLE "todo_items" DROP CONSTRAINT "fk_todo_items_list";

DROP TABLE "todo_items";

DROP TABLE "todo_lists";
