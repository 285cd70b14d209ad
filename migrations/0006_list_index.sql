DROP INDEX `articles_status_sort_idx`;--> statement-breakpoint
CREATE INDEX `articles_list_idx` ON `articles` (`status`,`sort_at`,`id`,`deleted_at`,`embargoed_until`,`source_id`);