-- Lists by one source, and the trash, on indexes of their own (src/db/schema.ts).
-- articles_source_list_idx leads with the source (so it also serves the source's foreign key,
-- which articles_source_idx did); articles_trash_idx holds deleted rows only, so that it can
-- never be chosen for `deleted_at IS NULL` as articles_deleted_idx was. Indexes only: no data
-- is touched. Building the new one reads every article once (about 1 s at 100,000 articles).
DROP INDEX `articles_source_idx`;--> statement-breakpoint
DROP INDEX `articles_deleted_idx`;--> statement-breakpoint
CREATE INDEX `articles_source_list_idx` ON `articles` (`source_id`,`status`,`sort_at`,`id`,`deleted_at`,`embargoed_until`);--> statement-breakpoint
CREATE INDEX `articles_trash_idx` ON `articles` (`deleted_at`) WHERE "articles"."deleted_at" is not null;