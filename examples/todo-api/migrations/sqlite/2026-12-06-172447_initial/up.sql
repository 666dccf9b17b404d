-- Written by orm for sqlite. Operations:
--   create table todo_lists
--   create table todo_items
-- orm runs it with foreign keys off, in one transaction, and checks the keys before committing.

CREATE TABLE "todo_lists" (
  "id" INTEGER PRIMARY KEY AUTOINCREMENT,
  "name" VARCHAR(100) NOT NULL,
  "item_count" BIGINT NOT NULL DEFAULT 0,
  "created" TIMESTAMP NOT NULL,
  CONSTRAINT "uq_todo_lists_name" UNIQUE ("name")
);

CREATE TABLE "todo_items" (
  "id" INTEGER PRIMARY KEY AUTOINCREMENT,
  "list" BIGINT NOT NULL,
  "title" VARCHAR(200) NOT NULL,
  "done" BOOLEAN NOT NULL DEFAULT 0,
  "priority" INTEGER NOT NULL DEFAULT 0,
  "version" BIGINT NOT NULL DEFAULT 1,
  "updated" TIMESTAMP NOT NULL,
  CONSTRAINT "ck_todo_items_done" CHECK ("done" IN (0, 1)),
  CONSTRAINT "fk_todo_items_list" FOREIGN KEY ("list") REFERENCES "todo_lists" ("id") ON DELETE CASCADE
);

CREATE INDEX "ix_todo_items_list" ON "todo_items" ("list");
