-- Written by orm for mysql. Operations:
--   create table todo_lists
--   create table todo_items
--   add foreign key todo_items.list

CREATE TABLE `todo_lists` (
  `id` BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
  `name` VARCHAR(100) NOT NULL,
  `item_count` BIGINT NOT NULL DEFAULT 0,
  `created` DATETIME(6) NOT NULL,
  CONSTRAINT `uq_todo_lists_name` UNIQUE (`name`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_nopad_bin;

CREATE TABLE `todo_items` (
  `id` BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
  `list` BIGINT NOT NULL,
  `title` VARCHAR(200) NOT NULL,
  `done` BOOLEAN NOT NULL DEFAULT 0,
  `priority` INTEGER NOT NULL DEFAULT 0,
  `version` BIGINT NOT NULL DEFAULT 1,
  `updated` DATETIME(6) NOT NULL,
  CONSTRAINT `ck_todo_items_done` CHECK (`done` IN (0, 1)),
  INDEX `ix_todo_items_list` (`list`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_nopad_bin;

ALTER TABLE `todo_items` ADD CONSTRAINT `fk_todo_items_list` FOREIGN KEY (`list`) REFERENCES `todo_lists` (`id`) ON DELETE CASCADE;
